#!/usr/bin/env bash
# Builds the libFuzzer targets (preset `fuzz`: clang++, ASan + UBSan + coverage) and fuzzes each
# for a while, starting from the committed seed corpus in tests/fuzz/corpus/<target>/.
#
#   scripts/fuzz.sh                      # every target, 60 s each
#   scripts/fuzz.sh -t 600 model_loader  # one target, 10 minutes
#   scripts/fuzz.sh -t 30 --merge        # afterwards, add new coverage-increasing inputs
#                                        # (minimised) to tests/fuzz/corpus/ for committing
# Options: -t SECONDS per target (default 60, env FUZZ_SECONDS), -j JOBS parallel fuzzing
#          processes per target (default 1), --no-build, --merge, --build-dir DIR.
# New inputs go to build/fuzz/corpus-work/<target> (not the source tree); crashes, leaks and
# timeouts are written to tests/fuzz/artifacts/<target>-crash-* (git-ignored) and make the script
# exit 1. Replay one with:  build/fuzz/tests/fuzz/fuzz_<target> tests/fuzz/artifacts/<file>
# A summary line per target gives executions, exec/s, coverage (cov = edges, ft = features),
# corpus size and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

SECONDS_PER=${FUZZ_SECONDS:-60}
JOBS=1
BUILD=1
MERGE=0
BUILD_DIR="$ROOT/build/fuzz"
TARGETS=()
while [ $# -gt 0 ]; do
  case "$1" in
    -t) SECONDS_PER=$2; shift 2 ;;
    -j) JOBS=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --merge) MERGE=1; shift ;;
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) TARGETS+=("$1"); shift ;;
  esac
done
ALL=$(cd tests/fuzz && ls fuzz_*.cpp | sed -e 's/^fuzz_//' -e 's/\.cpp$//' | sort)
if [ ${#TARGETS[@]} -eq 0 ]; then
  read -r -a TARGETS <<< "$(echo $ALL)"
fi
for t in "${TARGETS[@]}"; do
  if ! grep -qx "$t" <<< "$ALL"; then echo "fuzz.sh: unknown target '$t' (have: $(echo $ALL))" >&2; exit 2; fi
done

if [ "$BUILD" = 1 ]; then
  if [ "$BUILD_DIR" = "$ROOT/build/fuzz" ]; then
    cmake --preset fuzz >/dev/null
  else
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
          -DCOLIVE_BUILD_FUZZERS=ON -DCOLIVE_BUILD_APP=OFF -DCOLIVE_BUILD_BENCH=OFF >/dev/null
  fi
  cmake --build "$BUILD_DIR" --target fuzzers -j "${FUZZ_BUILD_JOBS:-2}"
fi

ART="$ROOT/tests/fuzz/artifacts"
mkdir -p "$ART"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
summary=()
for t in "${TARGETS[@]}"; do
  bin="$BUILD_DIR/tests/fuzz/fuzz_$t"
  seeds="$ROOT/tests/fuzz/corpus/$t"
  work="$BUILD_DIR/corpus-work/$t"
  log="$BUILD_DIR/fuzz-$t.log"
  mkdir -p "$work"
  [ -x "$bin" ] || { echo "fuzz.sh: $bin is missing (build with --target fuzzers)" >&2; exit 2; }
  echo "== fuzz_$t for ${SECONDS_PER}s (log: $log)"
  extra=()
  if [ "$JOBS" -gt 1 ]; then extra=(-fork="$JOBS"); fi
  set +e
  "$bin" "$work" "$seeds" -max_total_time="$SECONDS_PER" -timeout=20 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
         -max_len=65536 -print_final_stats=1 -artifact_prefix="$ART/$t-" "${extra[@]}" >"$log" 2>&1
  rc=$?
  set -e
  execs=$( (grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" || true) | awk '{s+=$2} END {print s+0}')
  eps=$( (grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" || true) | tail -1 | awk '{print $2}')
  rss=$( (grep -oE 'stat::peak_rss_mb: *[0-9]+' "$log" || true) | tail -1 | awk '{print $2}')
  cov=$( (grep -oE ' cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" || true) | tail -1 | sed 's/^ //')
  line=$(printf '%-16s %s  execs %s  exec/s %s  peak_rss_mb %s  rc %s' "$t" "${cov:-cov: ?}" "${execs:-?}" "${eps:-?}" "${rss:-?}" "$rc")
  summary+=("$line")
  if [ $rc -ne 0 ]; then
    status=1
    echo "fuzz.sh: fuzz_$t FAILED (rc $rc); artifacts:"; ls -1 "$ART" | grep "^$t-" || true
    grep -m1 -E "ERROR: |runtime error|property violated|Segmentation|deadly signal" "$log" || true
  fi
  if [ "$MERGE" = 1 ]; then
    "$bin" -merge=1 -timeout=20 -rss_limit_mb=2048 "$seeds" "$work" >"$log.merge" 2>&1 || true
    echo "   merged into $seeds: $(ls "$seeds" | wc -l) files"
  fi
done
echo
echo "== fuzz summary (${SECONDS_PER}s per target)"
printf '%s\n' "${summary[@]}"
exit $status
