#!/usr/bin/env bash
# Installs what is needed, builds BoneWatch with warnings as errors and with
# AddressSanitizer + UndefinedBehaviorSanitizer, and runs every test.
#   scripts/test.sh            # full run (what CI does)
#   BUILD_DIR=build-asan scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

BUILD_DIR=${BUILD_DIR:-build-ci}
JOBS=${JOBS:-2}
start=$(date +%s)

cmake -S . -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
  -DBONEWATCH_WERROR=ON \
  -DBONEWATCH_SANITIZE=ON \
  -DBONEWATCH_BUILD_BENCHMARKS=ON
cmake --build "$BUILD_DIR" -j "$JOBS"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" --timeout 300

echo "test.sh: wall time $(( $(date +%s) - start )) s (build + tests, after setup)"
