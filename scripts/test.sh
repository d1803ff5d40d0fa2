#!/usr/bin/env bash
# Installs the dependencies, builds everything (warnings are errors) and runs the whole test suite.
# Usage: scripts/test.sh            (build dir: build/; then the sanitizer subset in build-asan/)
#        BUILD_DIR=build-x scripts/test.sh -R Tokenizer   (extra args go to ctest)
#        scripts/test.sh --sanitize [--all] [ctest args]
#            AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/ (docs/reliability.md).
#            By default the named subset CI runs (SANITIZE_TARGETS below: the file readers and the
#            tokenizers, with their corpus replay); --all builds and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
JOBS=${JOBS:-$(nproc)}

if [ "${1:-}" = "--sanitize" ]; then
  shift
  all=0
  if [ "${1:-}" = "--all" ]; then all=1; shift; fi
  BUILD_DIR=${BUILD_DIR:-build-asan}
  # The readers of untrusted files below the engine (GGUF, safetensors, packs, JSONL, npy, tokenizer
  # files) and their corpus replay: the modules that need no engine, so the subset builds quickly.
  SANITIZE_TARGETS=(test_io test_util test_text test_tokenizer replay_tokenizer)
  # Warnings are not errors here: gcc warns falsely (-Wrestrict) on instrumented code; the normal
  # build keeps -Werror.
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLW_WERROR=OFF -DLW_SANITIZE=ON \
    -DLW_BUILD_BENCH=OFF
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  if [ $all -eq 1 ]; then
    cmake --build "$BUILD_DIR" -j "$JOBS"
    cd "$BUILD_DIR"
    ctest --output-on-failure -j "$JOBS" --timeout 1200 "$@"
  else
    cmake --build "$BUILD_DIR" -j "$JOBS" --target "${SANITIZE_TARGETS[@]}"
    cd "$BUILD_DIR"
    # Test programs outside the subset are not built: ctest lists their tests as *_NOT_BUILT, and
    # the corpus replays of targets outside it are left out by name.
    skip='_NOT_BUILT'
    for t in gguf safetensors tokenizer pack jsonl http; do
      [[ " ${SANITIZE_TARGETS[*]} " == *" replay_$t "* ]] || skip="$skip|^fuzz_replay\.$t\$"
    done
    ctest --output-on-failure -j "$JOBS" --timeout 1200 -E "$skip" "$@"
  fi
  exit 0
fi

BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLW_WERROR=ON
cmake --build "$BUILD_DIR" -j "$JOBS"
(cd "$BUILD_DIR" && ctest --output-on-failure -j "$JOBS" --timeout 600 "$@")
# The whole suite (no ctest arguments) also runs the sanitizer subset: this is how CI runs it.
# LW_SKIP_SANITIZE=1 leaves it out (a quick local run).
if [ $# -eq 0 ] && [ "${LW_SKIP_SANITIZE:-0}" != "1" ]; then
  "$0" --sanitize
fi
