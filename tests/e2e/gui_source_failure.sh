#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The GUI under Xvfb with a source that fails (or a file that ends): the window must stay up, render,
# and say why in the status bar.   gui_source_failure.sh COLIVE OUT_DIR SOURCE EXPECT_STATE EXPECT_WORD [args...]
set -euo pipefail
colive=$1 out=$2 source=$3 want_state=$4 want_word=$5
shift 5
mkdir -p "$out"
name=fail-$(echo "$source" | tr -c 'A-Za-z0-9_.-' '_')
png="$out/$name.png"
rm -f "$png" "$png.json"
export XDG_CONFIG_HOME="$out/config-$name" XDG_RUNTIME_DIR="$out/run-$name"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
unset QT_QPA_PLATFORM
timeout 300 xvfb-run -a -s "-screen 0 1280x800x24" \
  "$colive" --no-settings --source "$source" --frames 100000 --screenshot "$png" "$@" > "$out/$name.log" 2>&1 \
  || { echo "FAIL: colive exited with $?"; tail -20 "$out/$name.log"; exit 1; }
read -r mean std < <(identify -format "%[fx:mean] %[fx:standard_deviation]\n" "$png")
python3 - "$png.json" "$want_state" "$want_word" "$std" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print("state:", s["state"], "| status:", s["status"])
ok = s["state"] == sys.argv[2] and sys.argv[3].lower() in s["status"].lower() and float(sys.argv[4]) > 0.05
print("OK" if ok else "FAIL"); sys.exit(0 if ok else 1)
PY
