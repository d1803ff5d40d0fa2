#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang, AddressSanitizer and UndefinedBehaviorSanitizer
# (in build-fuzz/) and runs one campaign per target, one target at a time (docs/reliability.md).
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET ...]      (default 600 s; all targets)
#        scripts/fuzz.sh --build-only [TARGET ...]
#        scripts/fuzz.sh --run-only [SECONDS_PER_TARGET] [TARGET ...]   (targets already built)
# Each campaign starts from the committed corpus fuzz/corpus/TARGET and grows a working corpus in
# build-fuzz/corpus/TARGET; inputs that crash, leak, hang or run out of memory are written to
# build-fuzz/findings/TARGET/ (replay one with build-fuzz/fuzz/fuzz_TARGET FILE); logs go to
# build-fuzz/logs/TARGET.log and a summary line per target to build-fuzz/logs/summary.txt.
# Environment: FUZZ_BUILD_DIR (build-fuzz), JOBS (build jobs; 2).
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS_ALL=(gguf safetensors tokenizer pack jsonl http)
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
JOBS=${JOBS:-2}
build_only=0
run_only=0
secs=600
if [ "${1:-}" = "--build-only" ]; then build_only=1; shift; fi
if [ "${1:-}" = "--run-only" ]; then run_only=1; shift; fi
if [ $# -gt 0 ] && [[ "$1" =~ ^[0-9]+$ ]]; then secs=$1; shift; fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${TARGETS_ALL[@]}")

if [ $run_only -eq 0 ]; then
# The project's own packages, plus clang and its libFuzzer runtime (Debian 12: clang-14).
scripts/setup.sh
if ! command -v clang++ >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y --no-install-recommends clang libclang-rt-14-dev libomp-14-dev
fi

cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" -DLW_FUZZ=ON -DLW_WERROR=OFF >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS" --target $(printf 'fuzz_%s ' "${targets[@]}")
fi
[ $build_only -eq 1 ] && exit 0

mkdir -p "$BUILD_DIR/logs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for t in "${targets[@]}"; do
  work="$BUILD_DIR/corpus/$t"
  findings="$BUILD_DIR/findings/$t"
  mkdir -p "$work" "$findings"
  log="$BUILD_DIR/logs/$t.log"
  echo "fuzz: $t for ${secs}s (log $log)"
  # fork mode with one worker: one fuzzing process at a time, and the campaign goes on after a
  # finding (each is saved under $findings).
  (cd "$BUILD_DIR/fuzz" && ./fuzz_"$t" -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
      -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="$PWD/../findings/$t/" "$PWD/../corpus/$t" "$OLDPWD/fuzz/corpus/$t") >"$log" 2>&1 || true
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  n_find=$(find "$findings" -type f | wc -l)
  echo "$t: ${secs}s; $last; findings: $n_find" | tee -a "$BUILD_DIR/logs/summary.txt"
done
