#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The real GUI on the pose path, under its own Xvfb: the rendered person (demo-pose) with a tiny pose
# model -> the skeleton is drawn (no hand landmarks: v1 has none) and the picture is mirrored (selfie
# view, the default), or not with --mirror off; a clip with nobody in it -> the status bar says nobody is in view.
# Exits 77 (skipped) without the converted keypoint network (scripts/setup-pose-models.sh).
#   gui_pose.sh COLIVE OUT_DIR POSE_MODEL NETWORK NOBODY_CLIP
set -euo pipefail
colive=$1 out=$2 model=$3 net=$4 nobody=$5
[ -f "$net" ] || { echo "SKIP: $net is missing"; exit 77; }
. "$(dirname "$0")/gui_run.sh"
check() {   # STATE_JSON python-condition description
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
ok = eval(sys.argv[2], {}, {"s": s})
print(("OK: " if ok else "FAIL: ") + sys.argv[3], "|", {k: s.get(k) for k in
      ("feature_id", "pose_enabled", "pose_keypoints_drawn", "hands_enabled", "hand_landmarks_drawn", "preview_mirrored",
       "nobody_in_view", "status")})
sys.exit(0 if ok else 1)
PY
}
gui_run "$colive" "$out" pose-mirrored --source demo-pose --mode both --fast --frames 40 --model "$model"
check "$png.json" 's["feature_id"] == "pose-kp-v1" and s["pose_enabled"] and s["pose_keypoints_drawn"] >= 5 and s["preview_mirrored"] and not s["nobody_in_view"] and not s["hands_enabled"] and s["hand_landmarks_drawn"] == 0' \
  "skeleton drawn over the mirrored picture (a pose-kp-v1 model: no hands)"
gui_run "$colive" "$out" pose-unmirrored --source demo-pose --mode continual --fast --frames 20 --model "$model" --mirror off
check "$png.json" 's["pose_keypoints_drawn"] >= 5 and not s["preview_mirrored"]' "--mirror off shows the camera's own view"
gui_run "$colive" "$out" pose-nobody --source "file:$nobody" --mode both --fast --frames 20 --model "$model"
check "$png.json" 's["nobody_in_view"] and s["pose_keypoints_drawn"] == 0 and "Nobody in view" in s["status"]' \
  "nobody in view is said in the status bar"
