#!/usr/bin/env bash
# Fetches the pretrained keypoint networks and converts them for OpenCV DNN:
#   npm pack @vladmandic/human@3.3.6 -> .cache/npm/ (integrity hash pinned below, checked)
#   unpack models/NAME.{json,bin} (+ LICENSE) -> .cache/pose-models/human-3.3.6/
#   models/pose/convert_tfjs.py --preset NAME --check-opencv -> models/pose/NAME.onnx
#     (the preset says where the graph is cut; the check loads it with python3-opencv 4.6 and
#     checks the output shapes)
# for NAME = movenet-lightning (body, core/include/colive/pose.h), handlandmark-lite (hand landmarks,
# colive/hand.h) and handtrack (hand detector, colive/hand_detector.h).
# Does nothing when the ONNX files are current: models/pose/NAME.onnx.stamp records the converter's
# and the output's hashes and the tarball's integrity. Nothing here runs when the app runs. Needs
# npm (Debian nodejs + npm, installed if absent; root or sudo then) and /usr/bin/python3 with
# python3-onnx, python3-numpy and python3-opencv. Fails with one line saying why.
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
OUT_DIR="$root/models/pose"
MODELS=(movenet-lightning handlandmark-lite handtrack)
PY=/usr/bin/python3

fail() { echo "setup-pose-models: $*" >&2; exit 1; }
sha256() { sha256sum "$1" | cut -d' ' -f1; }
sri512() { "$PY" -c 'import base64,hashlib,sys; print("sha512-"+base64.b64encode(hashlib.sha512(open(sys.argv[1],"rb").read()).digest()).decode())' "$1"; }

force=0
[ "${1:-}" = "--force" ] && force=1

[ -x "$PY" ] || fail "$PY is missing (install Debian python3)"
"$PY" -c 'import onnx, numpy, cv2' 2>/dev/null ||
  fail "python3-onnx / python3-numpy / python3-opencv missing for $PY (scripts/setup-deps.sh installs them)"
[ -f "$CONVERTER" ] || fail "converter not found: $CONVERTER"

want_stamp="converter=$(sha256 "$CONVERTER") tarball=$INTEGRITY"
current() { [ -f "$OUT_DIR/$1.onnx" ] && [ -f "$OUT_DIR/$1.onnx.stamp" ] &&
            [ "$(cat "$OUT_DIR/$1.onnx.stamp")" = "$want_stamp onnx=$(sha256 "$OUT_DIR/$1.onnx")" ]; }
todo=()
for m in "${MODELS[@]}"; do
  if [ "$force" = 1 ] || ! current "$m"; then todo+=("$m"); fi
done
if [ ${#todo[@]} -eq 0 ]; then
  echo "setup-pose-models: models/pose/{$(IFS=,; echo "${MODELS[*]}")}.onnx are current"
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
files=(package/LICENSE)
for m in "${todo[@]}"; do files+=("package/models/$m.json" "package/models/$m.bin"); done
tar -xzf "$NPM_DIR/$TARBALL" -C "$UNPACK_DIR" --strip-components=1 "${files[@]}" ||
  fail "cannot unpack the model files from $NPM_DIR/$TARBALL"

# 3. convert (checked with OpenCV DNN by the converter), install each with its stamp
for m in "${todo[@]}"; do
  out="$OUT_DIR/$m.onnx"
  tmp="$out.tmp.onnx"
  "$PY" "$CONVERTER" "$UNPACK_DIR/models/$m.json" "$tmp" --preset "$m" --check-opencv || { rm -f "$tmp"; fail "conversion of $m failed (see the line above)"; }
  mv -f "$tmp" "$out"
  echo "$want_stamp onnx=$(sha256 "$out")" >"$out.stamp"
  echo "setup-pose-models: wrote models/pose/$m.onnx ($(stat -c %s "$out") bytes, sha256 $(sha256 "$out" | cut -c1-16)...)"
done
