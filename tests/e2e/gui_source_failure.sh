#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The GUI under Xvfb with a source that fails (or a file that ends): the window must stay up, render,
# and say why in the status bar.   gui_source_failure.sh COLIVE OUT_DIR SOURCE EXPECT_STATE EXPECT_WORD [args...]
set -euo pipefail
colive=$1 out=$2 source=$3 want_state=$4 want_word=$5
shift 5
name=fail-$(echo "$source" | tr -c 'A-Za-z0-9_.-' '_')
. "$(dirname "$0")/gui_run.sh"
gui_run "$colive" "$out" "$name" --source "$source" --frames 100000 "$@"
read -r mean std < <(identify -format "%[fx:mean] %[fx:standard_deviation]\n" "$png")
python3 - "$png.json" "$want_state" "$want_word" "$std" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print("state:", s["state"], "| status:", s["status"])
ok = s["state"] == sys.argv[2] and sys.argv[3].lower() in s["status"].lower() and float(sys.argv[4]) > 0.05
print("OK" if ok else "FAIL"); sys.exit(0 if ok else 1)
PY
