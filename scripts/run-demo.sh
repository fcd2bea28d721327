#!/usr/bin/env bash
# Installs what is missing, builds CoLive and launches the desktop app on the bundled demo person
# (a rendered person: keypoint network + pose model; --source demo-video for the hands clip).
# Extra arguments go to the app, e.g.  scripts/run-demo.sh --source demo-audio --mode both
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev
if [ -x build/dev/app/gui/colive ]; then
  exec build/dev/app/gui/colive --source demo-pose --mode both "$@"
else
  echo "run-demo: the GUI is not built yet; running the headless CLI on the demo stream" >&2
  exec build/dev/app/colive-cli --source demo-pose --mode both --frames 200 "$@"
fi
