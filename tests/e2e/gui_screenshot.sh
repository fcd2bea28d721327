#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Launches the real GUI under its own Xvfb on a source/mode, lets it process N steps, saves a
# screenshot (+ the displayed state as JSON) and checks: the PNG is not blank (ImageMagick mean/std),
# the plots have points and the counters show numbers.
#   gui_screenshot.sh COLIVE OUT_DIR SOURCE MODE [FRAMES] [extra colive args...]
set -euo pipefail
colive=$1 out=$2 source=$3 mode=$4 frames=${5:-150}
shift 5 || shift $#
name=$(echo "$source-$mode" | tr -c 'A-Za-z0-9_.-' '_')
. "$(dirname "$0")/gui_run.sh"
gui_run "$colive" "$out" "$name" --source "$source" --mode "$mode" --fast --frames "$frames" "$@"
read -r mean std < <(identify -format "%[fx:mean] %[fx:standard_deviation]\n" "$png")
echo "screenshot $png: mean $mean std $std"
python3 - "$png.json" "$mean" "$std" "$mode" "$frames" <<'PY'
import json, sys
state, mean, std, mode, frames = json.load(open(sys.argv[1])), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
fail = []
if not (0.05 < mean < 0.98): fail.append(f"image mean {mean}")
if std < 0.05: fail.append(f"image std {std} (blank?)")
if state["state"] not in ("running", "paused", "ended"): fail.append(f"state {state['state']}: {state['status']}")
plots = state["plots"]
want = 2 if mode == "both" else 1
if len(plots) != want: fail.append(f"{len(plots)} plots, want {want}")
for p in plots:
    if p["points"] < min(frames, 20): fail.append(f"plot '{p['title']}' has {p['points']} points")
    if not p["top"] or not (0.0 <= p["top"][0]["p"] <= 1.0): fail.append("no top-k")
c = state["counters"]
for m in ("regular", "continual"):
    if c[m]["macs_per_step"] <= 0: fail.append(f"{m} MACs {c[m]['macs_per_step']}")
    if c[m]["active"] and not c[m]["latency_p95_ms"] > 0: fail.append(f"{m} latency {c[m]['latency_p95_ms']}")
if c["tokens_per_s"] <= 0: fail.append("tokens/s 0")
if mode == "both" and not (0 <= c["max_abs_diff"] < 1e-4): fail.append(f"max diff {c['max_abs_diff']}")
if "fewer" not in c["macs_ratio_text"]: fail.append("MACs ratio " + c["macs_ratio_text"])
print("counters:", c["macs_ratio_text"], "|", c["latency_ratio_text"], "|", c["stats_text"])
if fail:
    print("FAIL:", "; ".join(fail)); sys.exit(1)
print("OK")
PY
