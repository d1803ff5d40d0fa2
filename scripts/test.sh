#!/usr/bin/env bash
# Installs the dependencies, builds everything (warnings are errors) and runs the whole test suite.
# Usage: scripts/test.sh            (build dir: build/)
#        BUILD_DIR=build-x scripts/test.sh -R Tokenizer   (extra args go to ctest)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLW_WERROR=ON
cmake --build "$BUILD_DIR" -j "$JOBS"
cd "$BUILD_DIR"
ctest --output-on-failure -j "$JOBS" --timeout 600 "$@"
