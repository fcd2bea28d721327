#!/usr/bin/env bash
# Soak test: runs the headless pipeline (colive-cli --source SPEC --loop --realtime --mode both)
# for a configurable time and samples, every few seconds, the process's resident memory
# (/proc/PID/status VmRSS), threads and file descriptors, while the per-step export gives the
# step latency of each mode (p95 per interval), the token rate and the media-time lag (a queue
# that grows shows up as a growing lag or a falling token rate); the CLI's final summary gives the
# drop counters. Fails (exit 1) when, after warm-up, RSS grows beyond a bound, p95 drifts up, the
# token rate falls, the lag grows, or threads/fds change.
#
#   scripts/soak.sh                                   # 30 minutes, demo-video, both modes
#   scripts/soak.sh --minutes 5 --source demo-audio
#   scripts/soak.sh --seconds 90 --warmup 20 --cli build/dev/app/colive-cli
#
# Options: --minutes M | --seconds S (default 30 min), --source SPEC (default demo-video),
#   --mode M (default both), --model PATH, --interval S (sample period, default 5),
#   --warmup S (default: 60, or 20 % of a run shorter than 5 min), --rss-bound-mb N (default 8),
#   --p95-ratio R (default 1.5: last quarter p95 <= R x first post-warm-up quarter + 0.5 ms),
#   --cli PATH (default: newest of build/*/app/colive-cli), --out DIR (default build/soak-<time>),
#   --fast (files as fast as possible instead of paced: a CPU-bound stress variant).
# Results: DIR/samples.tsv, DIR/steps.jsonl, DIR/cli.log, DIR/report.txt, DIR/report.json.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

SECONDS_TOTAL=1800
SOURCE=demo-video
MODE=both
MODEL=""
INTERVAL=5
WARMUP=""
RSS_BOUND=8
P95_RATIO=1.5
CLI=""
OUT=""
PACE=--realtime
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) SECONDS_TOTAL=$(( $2 * 60 )); shift 2 ;;
    --seconds) SECONDS_TOTAL=$2; shift 2 ;;
    --source) SOURCE=$2; shift 2 ;;
    --mode) MODE=$2; shift 2 ;;
    --model) MODEL=$2; shift 2 ;;
    --interval) INTERVAL=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --rss-bound-mb) RSS_BOUND=$2; shift 2 ;;
    --p95-ratio) P95_RATIO=$2; shift 2 ;;
    --cli) CLI=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --fast) PACE=""; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "soak.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$WARMUP" ]; then
  if [ "$SECONDS_TOTAL" -lt 300 ]; then WARMUP=$(( SECONDS_TOTAL / 5 )); else WARMUP=60; fi
fi
if [ -z "$CLI" ]; then
  CLI=$(ls -t "$ROOT"/build/*/app/colive-cli 2>/dev/null | head -1 || true)
fi
if [ -z "$CLI" ] || [ ! -x "$CLI" ]; then
  echo "soak.sh: colive-cli not found; build it (cmake --workflow --preset dev) or pass --cli PATH" >&2
  exit 2
fi
[ -n "$OUT" ] || OUT="$ROOT/build/soak-$(date -u +%Y%m%dT%H%M%S)"
mkdir -p "$OUT"
: > "$OUT/steps.jsonl"

args=("$CLI" --source "$SOURCE" --mode "$MODE" --loop --export "$OUT/steps.jsonl" --duration "$SECONDS_TOTAL")
[ -n "$PACE" ] && args+=("$PACE")
[ -n "$MODEL" ] && args+=(--model "$MODEL")
echo "soak.sh: ${args[*]}"
echo "soak.sh: ${SECONDS_TOTAL}s, sample every ${INTERVAL}s, warm-up ${WARMUP}s, RSS bound ${RSS_BOUND} MiB, p95 ratio ${P95_RATIO}; results in $OUT"
"${args[@]}" >"$OUT/cli.log" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null || true' INT TERM
T0=$(date +%s.%N)
elapsed() { awk -v a="$(date +%s.%N)" -v b="$T0" 'BEGIN { printf "%.1f", a - b }'; }
printf 't_s\trss_kb\tthreads\tfds\texport_lines\tlast_media_s\n' > "$OUT/samples.tsv"
while kill -0 "$PID" 2>/dev/null; do
  t=$(elapsed)
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$PID/status" 2>/dev/null || true)
  thr=$(ls "/proc/$PID/task" 2>/dev/null | wc -l || true)
  fds=$(ls "/proc/$PID/fd" 2>/dev/null | wc -l || true)
  lines=$(wc -l < "$OUT/steps.jsonl")
  # media time of the newest complete line (the export is block-buffered: the last line may be cut)
  media=$(tail -c 4096 "$OUT/steps.jsonl" | grep '}$' | tail -n 1 | grep -o '"time_s":[-0-9.e+]*' | cut -d: -f2 || true)
  [ -n "$rss" ] && printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$rss" "$thr" "$fds" "$lines" "${media:--1}" >> "$OUT/samples.tsv"
  sleep "$INTERVAL"
done
set +e
wait "$PID"
rc=$?
set -e
echo "soak.sh: colive-cli exited with $rc after $(elapsed) s"
tail -12 "$OUT/cli.log"
if [ $rc -ne 0 ]; then
  echo "soak.sh: FAIL: colive-cli failed" >&2
  exit 1
fi
/usr/bin/python3 "$ROOT/scripts/soak_report.py" --dir "$OUT" --warmup "$WARMUP" --rss-bound-mb "$RSS_BOUND" \
    --p95-ratio "$P95_RATIO" --interval "$INTERVAL" --expect-paced "$([ -n "$PACE" ] && echo 1 || echo 0)"
