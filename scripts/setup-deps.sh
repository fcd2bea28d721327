#!/usr/bin/env bash
# Installs every Debian (bookworm) package CoLive needs to build, test, train its
# bundled models and run the GUI headless. Does nothing when all are present.
# Usage: sudo scripts/setup-deps.sh    (root needed only when something is missing)
set -euo pipefail

PACKAGES=(
  # toolchain
  cmake ninja-build g++ pkg-config clang libclang-rt-14-dev
  # engine, features, tests
  libeigen3-dev libopencv-dev libgtest-dev libgmock-dev
  # desktop app
  qt6-base-dev qt6-base-dev-tools qt6-multimedia-dev libqt6opengl6-dev libxkbcommon-dev
  libqt6svg6 qt6-qpa-plugins fonts-dejavu-core desktop-file-utils
  # audio input and decoding
  portaudio19-dev libsndfile1-dev pulseaudio pulseaudio-utils libasound2-plugins alsa-utils sox
  ffmpeg
  # golden data, model export and training (run with /usr/bin/python3)
  python3 python3-torch python3-numpy python3-opencv
  fluidsynth fluid-soundfont-gm timgm6mb-soundfont
  # more General MIDI soundfonts for the genre model's training data (models/training/gen_audio.py)
  musescore-general-soundfont-small csound-soundfont opl3-soundfont
  # headless GUI tests and screenshots
  xvfb xauth x11-apps imagemagick
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "setup-deps: installing ${#missing[@]} missing packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
