#!/usr/bin/env bash
# Installs the dependencies, builds everything (warnings are errors) and runs the whole test suite.
# Usage: scripts/test.sh            (build dir: build/; then the sanitizer subset in build-asan/)
#        BUILD_DIR=build-x scripts/test.sh -R Tokenizer   (extra args go to ctest)
#        scripts/test.sh --sanitize [--all] [ctest args]
#
# The third-party data (LongBench prompts, reference templates, real vocabularies; not in the
# repository) is looked for in $LONGWRITER_DATA, else ../shared/data. The tests that read it carry the
# ctest label needs-data: without the data they are reported as skipped, with one line naming the
# missing files and scripts/get-data.sh (which fetches them); LW_REQUIRE_DATA=1 (set by .ci/run) makes
# missing data an error instead, so CI always runs them.
#            AddressSanitizer + UndefinedBehaviorSanitizer build in build-asan/ (docs/reliability.md).
#            By default the named subset CI runs (SANITIZE_TARGETS below: the file readers and the
#            tokenizers, with their corpus replay); --all builds and runs the whole suite.
#        scripts/test.sh --arch aarch64 [--all]
#            Cross-builds the kernel, quantization, engine and training tests for aarch64 in
#            build-aarch64/ (Debian's cross toolchain, cmake/aarch64-linux-gnu.cmake, the engine
#            subset LW_ENGINE_SUBSET) and runs them under qemu-aarch64 at every ARM level: the CPU
#            detection on three emulated CPUs (cortex-a72: neon, neoverse-n1: dotprod, max: bf16),
#            then the kernel tests (every level in one run) and a selection of the engine and
#            training tests at each of neon, dotprod, i8mm and bf16 (LW_CPU). --all runs the three
#            programs whole at each level (slow under emulation). docs/engine.md "ARM (aarch64)".
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--arch" ]; then
  exec scripts/test_arch.sh "${@:2}"
fi
scripts/setup.sh
JOBS=${JOBS:-$(nproc)}

# Which third-party data files are missing (empty when all are present and verified).
data_missing=$(scripts/get-data.sh --check 2>&1 >/dev/null | sed -n 's/^  \(.*\)$/\1/p' | tr '\n' ';' | sed 's/;$//; s/;/; /g' || true)
if [ -n "$data_missing" ]; then
  if [ "${LW_REQUIRE_DATA:-0}" = "1" ]; then
    echo "test.sh: LW_REQUIRE_DATA=1 but the third-party data is incomplete: $data_missing" >&2
    echo "test.sh: fetch it with scripts/get-data.sh (or set LONGWRITER_DATA to the folder that has it)" >&2
    exit 1
  fi
  data_note="test.sh: the tests labelled needs-data are skipped (third-party data missing: $data_missing); run scripts/get-data.sh to fetch it and run them"
  echo "$data_note"
fi
# Say it again after ctest's summary, where it is read.
note_data() { if [ -n "$data_missing" ]; then echo "$data_note"; fi; }

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
  # The subset's CLI tests run the release binary (build/longwriter; the readers it exercises are
  # instrumented in the test programs themselves), so the subset does not build the whole CLI
  # instrumented; --all builds and runs the instrumented one.
  cli_binary=""
  if [ $all -eq 0 ]; then
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLW_WERROR=ON >/dev/null
    cmake --build build -j "$JOBS" --target longwriter
    cli_binary="$PWD/build/longwriter"
  fi
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLW_WERROR=OFF -DLW_SANITIZE=ON \
    -DLW_BUILD_BENCH=OFF -DLW_CLI_BINARY="$cli_binary"
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  if [ $all -eq 1 ]; then
    cmake --build "$BUILD_DIR" -j "$JOBS"
    cd "$BUILD_DIR"
    ctest --output-on-failure -j "$JOBS" --timeout 1200 "$@"
    note_data
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
    note_data
  fi
  exit 0
fi

BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLW_WERROR=ON
cmake --build "$BUILD_DIR" -j "$JOBS"
(cd "$BUILD_DIR" && ctest --output-on-failure -j "$JOBS" --timeout 600 "$@")
note_data
# The whole suite (no ctest arguments) also runs the sanitizer subset and the aarch64 subset under
# emulation (on x86-64 hosts; an aarch64 host has just run the ARM levels natively): this is how CI
# runs them. LW_SKIP_SANITIZE=1 / LW_SKIP_ARCH=1 leave them out (a quick local run).
if [ $# -eq 0 ] && [ "${LW_SKIP_SANITIZE:-0}" != "1" ]; then
  "$0" --sanitize
fi
if [ $# -eq 0 ] && [ "${LW_SKIP_ARCH:-0}" != "1" ] && [ "$(uname -m)" = "x86_64" ]; then
  "$0" --arch aarch64
fi
