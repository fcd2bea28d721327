#!/usr/bin/env bash
# Fetches the pretrained body keypoint network and converts it for OpenCV DNN:
#   npm pack @vladmandic/human@3.3.6 -> .cache/npm/ (integrity hash pinned below, checked)
#   unpack models/movenet-lightning.{json,bin} (+ LICENSE) -> .cache/pose-models/human-3.3.6/
#   models/pose/convert_tfjs.py -> models/pose/movenet-lightning.onnx (cut at MoveNet's four heads)
#   check that OpenCV (python3-opencv 4.6) loads it and gives the four heads' shapes
# Does nothing when the ONNX file is current: models/pose/movenet-lightning.onnx.stamp records the
# converter's and the output's hashes and the tarball's integrity. Nothing here runs when the app
# runs. Needs npm (Debian nodejs + npm, installed if absent; root or sudo then) and /usr/bin/python3
# with python3-onnx and python3-numpy. Fails with one line saying why.
# Usage: scripts/setup-pose-models.sh [--force]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

PKG="@vladmandic/human@3.3.6"
TARBALL="vladmandic-human-3.3.6.tgz"
INTEGRITY="sha512-Nr5mPfq1gQ+uKeXY5uM3Fj8UxvF5CEh2s6txM5wRThqaW0mF9huooOuZSrT8hhGho0hGaXLFdAwfD/2+teCv6A=="
NPM_DIR="$root/.cache/npm"
UNPACK_DIR="$root/.cache/pose-models/human-3.3.6"
CONVERTER="$root/models/pose/convert_tfjs.py"
OUT="$root/models/pose/movenet-lightning.onnx"
STAMP="$OUT.stamp"
PY=/usr/bin/python3
# MoveNet's four head outputs (see core/include/colive/pose.h)
P=StatefulPartitionedCall
CUT=(--output "centre=$P/truediv_2" --output "heatmap=$P/Sigmoid"
     --output "regression=$P/kpt_regress_0/conv2d_6/BiasAdd" --output "offset=$P/kpt_offset_0/conv2d_7/BiasAdd")

fail() { echo "setup-pose-models: $*" >&2; exit 1; }
sha256() { sha256sum "$1" | cut -d' ' -f1; }
sri512() { "$PY" -c 'import base64,hashlib,sys; print("sha512-"+base64.b64encode(hashlib.sha512(open(sys.argv[1],"rb").read()).digest()).decode())' "$1"; }

force=0
[ "${1:-}" = "--force" ] && force=1

[ -x "$PY" ] || fail "$PY is missing (install Debian python3)"
"$PY" -c 'import onnx, numpy' 2>/dev/null || fail "python3-onnx / python3-numpy missing for $PY (scripts/setup-deps.sh installs them)"
[ -f "$CONVERTER" ] || fail "converter not found: $CONVERTER"

want_stamp="converter=$(sha256 "$CONVERTER") tarball=$INTEGRITY cut=$(printf '%s' "${CUT[*]}" | sha256sum | cut -d' ' -f1)"
if [ "$force" = 0 ] && [ -f "$OUT" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want_stamp onnx=$(sha256 "$OUT")" ]; then
  echo "setup-pose-models: models/pose/movenet-lightning.onnx is current"
  exit 0
fi

# 1. the pinned tarball, checked
mkdir -p "$NPM_DIR"
if [ ! -f "$NPM_DIR/$TARBALL" ] || [ "$(sri512 "$NPM_DIR/$TARBALL")" != "$INTEGRITY" ]; then
  rm -f "$NPM_DIR/$TARBALL"
  if ! command -v npm >/dev/null 2>&1; then
    echo "setup-pose-models: npm not found, installing Debian nodejs npm"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    { $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends nodejs npm >/dev/null 2>&1 ||
      { $SUDO apt-get update -qq >/dev/null 2>&1 &&
        $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends nodejs npm >/dev/null 2>&1; }; } ||
      fail "npm is missing and 'apt-get install nodejs npm' failed"
  fi
  echo "setup-pose-models: npm pack $PKG"
  log="$NPM_DIR/npm-pack.log"
  (cd "$NPM_DIR" && timeout 600 npm pack --loglevel=error "$PKG" >"$log" 2>&1) ||
    fail "npm pack $PKG failed (no network or registry unreachable?): $( { grep -m1 -E 'Error|reason' "$log" || grep -m1 -i err "$log" || tail -n1 "$log"; } | sed 's/^npm \(error\|ERR!\) *//')"
  [ -f "$NPM_DIR/$TARBALL" ] || fail "npm pack did not write $NPM_DIR/$TARBALL"
  got=$(sri512 "$NPM_DIR/$TARBALL")
  if [ "$got" != "$INTEGRITY" ]; then
    rm -f "$NPM_DIR/$TARBALL"
    fail "integrity mismatch for $PKG: got $got, pinned $INTEGRITY"
  fi
fi

# 2. unpack only the model files (and the licence)
rm -rf "$UNPACK_DIR"
mkdir -p "$UNPACK_DIR"
tar -xzf "$NPM_DIR/$TARBALL" -C "$UNPACK_DIR" --strip-components=1 \
    package/LICENSE package/models/movenet-lightning.json package/models/movenet-lightning.bin ||
  fail "cannot unpack the model files from $NPM_DIR/$TARBALL"

# 3. convert, check that OpenCV DNN loads it, install with its stamp
tmp="$OUT.tmp.onnx"
"$PY" "$CONVERTER" "$UNPACK_DIR/models/movenet-lightning.json" "$tmp" "${CUT[@]}" || { rm -f "$tmp"; fail "conversion failed"; }
check=$("$PY" - "$tmp" 2>&1 <<'EOF'
import sys
import cv2
import numpy as np
net = cv2.dnn.readNetFromONNX(sys.argv[1])
net.setInput(np.zeros((1, 3, 192, 192), np.float32))
outs = net.forward(["centre", "heatmap", "regression", "offset"])
shapes = [tuple(o.shape) for o in outs]
want = [(1, 1, 48, 48), (1, 17, 48, 48), (1, 34, 48, 48), (1, 34, 48, 48)]
print("ok" if shapes == want else "unexpected head shapes %s" % shapes)
EOF
) || true
if [ "$(printf '%s' "$check" | tail -n1)" != "ok" ]; then
  rm -f "$tmp"
  fail "OpenCV DNN cannot run the converted model: $(printf '%s' "$check" | grep -v '^\s*$' | tail -n1)"
fi
mv -f "$tmp" "$OUT"
echo "$want_stamp onnx=$(sha256 "$OUT")" >"$STAMP"
echo "setup-pose-models: wrote models/pose/movenet-lightning.onnx ($(stat -c %s "$OUT") bytes, sha256 $(sha256 "$OUT" | cut -c1-16)...)"
