#!/usr/bin/env bash
# Installs every Debian (bookworm) package CoLive needs to build, test, train its
# bundled models and run the GUI headless, then fetches and converts the pretrained pose network
# (scripts/setup-pose-models.sh, once: it does nothing when models/pose/movenet-lightning.onnx is
# current). Does nothing when all is present.
# Usage: sudo scripts/setup-deps.sh    (root needed only when something is missing)
set -euo pipefail

PACKAGES=(
  # toolchain
  cmake ninja-build g++ pkg-config clang libclang-rt-14-dev
  # engine, features, tests
  libeigen3-dev libopencv-dev libgtest-dev libgmock-dev
  # optimised BLAS (run-time CPU dispatch): the engine's GEMMs (cblas_sgemm) and the PyTorch
  # baseline of colive-bench (libblas.so.3 then points to OpenBLAS, not netlib's reference BLAS)
  libopenblas0-pthread libopenblas-pthread-dev
  # desktop app
  qt6-base-dev qt6-base-dev-tools qt6-multimedia-dev libqt6opengl6-dev libxkbcommon-dev
  libqt6svg6 qt6-qpa-plugins fonts-dejavu-core desktop-file-utils
  # audio input and decoding
  portaudio19-dev libsndfile1-dev pulseaudio pulseaudio-utils libasound2-plugins alsa-utils sox
  ffmpeg
  # golden data, model export and training (run with /usr/bin/python3)
  python3 python3-torch python3-numpy python3-opencv python3-onnx
  # pretrained pose network (scripts/setup-pose-models.sh; nodejs/npm are installed there if absent)
  # and the photos its golden outputs were made on (models/pose/golden/make_golden.sh)
  opencv-doc
  fluidsynth fluid-soundfont-gm timgm6mb-soundfont
  # more General MIDI soundfonts for the genre model's training data (models/training/gen_audio.py)
  musescore-general-soundfont-small csound-soundfont opl3-soundfont
  # real sampled drum kits (AVL soundfonts, Hydrogen's TR-808 and GM rock kits) and espeak-ng voices
  avldrums.lv2-soundfont hydrogen-data espeak-ng
  # headless GUI tests and screenshots
  xvfb xauth x11-apps imagemagick
  # the Debian package (cpack -G DEB): man pages, Depends via dpkg-shlibdeps, AppStream check;
  # libopenblas0 is what dpkg-shlibdeps names for libopenblas.so.0, so `dpkg -i` in the package
  # test finds the package's Depends installed
  help2man dpkg-dev appstream libopenblas0
)

# npm fetches the pose network's tarball; Debian's nodejs/npm only when no npm is on PATH already
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-deps: all ${#PACKAGES[@]} packages present"
else
  echo "setup-deps: installing ${#missing[@]} missing packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# The pose network is optional for the app (it falls back to the motion model without it), so a
# failure here (e.g. no network) is reported in one line and does not stop the set-up.
# Its outputs live in the source tree: under sudo they are made as the calling user.
as_user=()
if [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then as_user=(sudo -u "$SUDO_USER"); fi
"${as_user[@]}" bash "$(dirname "$0")/setup-pose-models.sh" ||
  echo "setup-deps: WARNING: pose model not installed (see the line above); pose features are unavailable"
