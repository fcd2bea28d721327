#!/usr/bin/env bash
# Makes tests/golden/pose/ from the ORIGINAL tfjs MoveNet Lightning graph run in node with the
# pure-JS CPU backend (not from our converted ONNX): see make_golden.js for what is written.
#   1. scripts/setup-pose-models.sh (the pinned, integrity-checked npm tarball, unpacked)
#   2. npm ci of package.json/package-lock.json here (pinned @tensorflow/tfjs-core, -converter,
#      -backend-cpu, integrity-checked by npm) into .cache/pose-golden
#   3. the photos basketball1.png and messi5.jpg from Debian's opencv-doc, decoded to raw RGB
#   4. node make_golden.js; then the exact 192x192 network inputs it used are saved as PNG, and the
#      331x207 grey copy of basketball1 the hand detector ran on
# CI does not run this (the goldens are committed). Usage: models/pose/golden/make_golden.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out="$root/tests/golden/pose"
cache="$root/.cache/pose-golden"
photos=/usr/share/doc/opencv-doc/examples/data
PY=/usr/bin/python3

fail() { echo "make_golden.sh: $*" >&2; exit 1; }
command -v node >/dev/null && command -v npm >/dev/null || fail "node/npm missing (Debian nodejs npm)"
for f in basketball1.png messi5.jpg; do
  [ -f "$photos/$f" ] || fail "$photos/$f missing (install Debian opencv-doc)"
done

# --force: the script unpacks the model files only when it converts (same bytes again: deterministic)
bash "$root/scripts/setup-pose-models.sh" --force
mkdir -p "$cache/work" "$out"
cp "$here/package.json" "$here/package-lock.json" "$cache/"
(cd "$cache" && npm ci --silent --no-audit --no-fund) || fail "npm ci of the pinned tfjs packages failed"
cp "$here/make_golden.js" "$cache/"

"$PY" - "$photos" "$cache/work" <<'EOF'
import json, os, sys
import cv2
src, work = sys.argv[1], sys.argv[2]
for f in ("basketball1.png", "messi5.jpg"):
    im = cv2.imread(os.path.join(src, f), cv2.IMREAD_COLOR)  # grey photos become 3 equal channels
    name = os.path.splitext(f)[0]
    rgb = cv2.cvtColor(im, cv2.COLOR_BGR2RGB)
    open(os.path.join(work, name + ".rgb"), "wb").write(rgb.tobytes())
    json.dump({"file": f, "width": im.shape[1], "height": im.shape[0]}, open(os.path.join(work, name + ".json"), "w"))
# the hand detector's photo: basketball1 (grey) scaled to an odd 331x207 (area), saved as it is fed
small = cv2.resize(cv2.imread(os.path.join(src, "basketball1.png"), cv2.IMREAD_GRAYSCALE), (331, 207), interpolation=cv2.INTER_AREA)
cv2.imwrite(os.path.join(work, "basketball1_331x207.png"), small, [cv2.IMWRITE_PNG_COMPRESSION, 9])
open(os.path.join(work, "basketball1_small.rgb"), "wb").write(cv2.cvtColor(small, cv2.COLOR_GRAY2RGB).tobytes())
json.dump({"file": "basketball1_331x207.png", "width": 331, "height": 207}, open(os.path.join(work, "basketball1_small.json"), "w"))
# a test input, not a golden output: the 96x96 square of basketball1 (grey) centred on (132, 156), the
# left player's right hand on the ball (the hand landmark net: presence 0.99 on it turned a quarter)
full = cv2.imread(os.path.join(src, "basketball1.png"), cv2.IMREAD_GRAYSCALE)
cv2.imwrite(os.path.join(work, "basketball1_hand96.png"), full[108:204, 84:180], [cv2.IMWRITE_PNG_COMPRESSION, 9])
EOF

(cd "$cache" && node make_golden.js "$root/.cache/pose-models/human-3.3.6/models" "$cache/work" "$out")

"$PY" - "$cache/work" "$out" <<'EOF'
import os, sys
import cv2
import numpy as np
work, out = sys.argv[1], sys.argv[2]
for name, size in (("basketball1", 192), ("messi5", 192), ("basketball1_hand", 224)):
    rgb = np.fromfile(os.path.join(work, name + "_input.rgb"), np.uint8).reshape(size, size, 3)
    cv2.imwrite(os.path.join(out, name + "_input.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                [cv2.IMWRITE_PNG_COMPRESSION, 9])
EOF
cp "$cache/work/basketball1_331x207.png" "$cache/work/basketball1_hand96.png" "$out/"
echo "make_golden.sh: done ($(du -sh "$out" | cut -f1) in tests/golden/pose)"
