#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Regenerates the README screenshots from a build tree: the real app under its own Xvfb on the
# bundled demo clips, in real time (so the latency counters are what a user sees), 1280x800.
# The pose shots need the converted keypoint network (scripts/setup-pose-models.sh) and
# models/action-pose.safetensors; Auto picks that model on demo-pose (the preview is mirrored).
# The step counts put the pose shots in the middle of a gesture (segments: demo-pose.segments.json).
#   resources/screenshots/make_screenshots.sh [BUILD_DIR]     (default build/dev)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/dev}
colive=$build/app/gui/colive
out=resources/screenshots
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME=$tmp XDG_RUNTIME_DIR=$tmp
unset QT_QPA_PLATFORM
shot() {   # name source mode frames
  xvfb-run -a -s "-screen 0 1280x800x24" "$colive" --no-settings --source "$2" --mode "$3" \
    --frames "$4" --screenshot "$tmp/$1.png"
  cp "$tmp/$1.png" "$out/$1.png"
  echo "$out/$1.png: $(identify -format '%wx%h mean %[fx:mean] std %[fx:standard_deviation]' "$out/$1.png")"
}
[ -f models/pose/movenet-lightning.onnx ] || { echo "models/pose/movenet-lightning.onnx missing: run scripts/setup-pose-models.sh" >&2; exit 1; }
shot pose-both demo-pose both 440             # t = 44 s: the second wave
shot audio-both demo-audio both 140
shot pose-continual demo-pose continual 335   # t = 33.5 s: the first clap
shot video-both demo-video both 260
