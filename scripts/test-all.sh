#!/usr/bin/env bash
# Builds CoLive and runs every test: installs missing Debian packages, then the `ci` workflow
# (Release, warnings as errors, all CTest labels). Set COLIVE_SKIP_ASAN=1 to skip the
# AddressSanitizer/UBSan pass that follows.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-deps.sh
cmake --workflow --preset ci
if [ "${COLIVE_SKIP_ASAN:-0}" != "1" ] && [ -f tests/.asan-enabled ]; then
  cmake --workflow --preset asan
fi
