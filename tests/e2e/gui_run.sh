# SPDX-License-Identifier: MIT
# Sourced by the GUI end-to-end scripts: runs the real `colive` under its own Xvfb with a private
# config and runtime dir, and makes sure it saved a screenshot.
#   gui_run COLIVE OUT_DIR NAME [colive args...]   -> sets $png ($OUT_DIR/NAME.png, state in $png.json)
gui_run() {
  local colive=$1 out=$2 name=$3
  shift 3
  mkdir -p "$out"
  png="$out/$name.png"
  rm -f "$png" "$png.json"
  export XDG_CONFIG_HOME="$out/config-$name" XDG_RUNTIME_DIR="$out/run-$name"
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
  unset QT_QPA_PLATFORM
  timeout 300 xvfb-run -a -s "-screen 0 1280x800x24" "$colive" --no-settings --screenshot "$png" "$@" \
    > "$out/$name.log" 2>&1 || { echo "FAIL: colive exited with $?"; tail -20 "$out/$name.log"; exit 1; }
  [ -s "$png" ] || { echo "FAIL: no screenshot"; exit 1; }
}
