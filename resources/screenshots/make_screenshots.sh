#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Regenerates the README screenshots from a build tree: the real app under its own Xvfb on the
# bundled demo clips, in real time (so the latency counters are what a user sees), 1280x800.
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
shot video-both demo-video both 260
shot audio-both demo-audio both 140
shot video-continual demo-video continual 260
