#!/usr/bin/env bash
# The aarch64 subset under emulation (run as scripts/test.sh --arch aarch64 [--all]; see there).
# Cross-builds test_quant, test_engine and test_train in build-aarch64/ and runs them with
# qemu-aarch64: the level detection on three emulated CPUs, then the tests at every ARM level.
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:-}
if [ "$arch" != "aarch64" ]; then
  echo "test.sh --arch: only aarch64 is supported (got '${arch}')" >&2
  exit 2
fi
shift
all=0
if [ "${1:-}" = "--all" ]; then all=1; shift; fi
scripts/setup.sh --arch aarch64
JOBS=${JOBS:-$(nproc)}
BUILD_DIR=${BUILD_DIR:-build-aarch64}
# -O1: a third less compile time than -O3 (CI builds without ccache); the kernels are intrinsics,
# so the instructions under test are the same.
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -DNDEBUG" \
  -DLW_WERROR=ON -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DLW_ENGINE_SUBSET=ON >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS" --target test_quant test_engine test_train

# The selection CI runs (every kernel family: vector ops and conversions, attention, matrix-vector
# and GEMM of every weight type, whole models against their golden logits at each level; the
# trainer's gradients and its agreement with the engine at neon, whose vector ops every ARM level
# shares); --all runs every test of the three programs at each level.
ENGINE_TESTS='Convert.*:VecKernels.*:Ops.SwigluAndSoftmaxMatchReference:Ops.VarlenAttentionAllHeadDims:Ops.DecodeAttentionMatchesReference:*MatmulTest.*:*GoldenTest.*:*ModelTest.IncrementalDecodeEqualsFullRecompute/*:*ModelTest.BatchedDecodeEqualsOneSequenceAtATime/*'
TRAIN_TESTS='OpsGrad.*:*TrainVsEngine.*'
if [ $all -eq 1 ]; then ENGINE_TESTS='*' TRAIN_TESTS='*'; fi

run() {  # qemu CPU, LW_CPU level (empty: the CPU's best), program, gtest filter
  echo "test.sh --arch aarch64: $3 on qemu -cpu $1 at level ${2:-(its best)}: $4"
  QEMU_CPU=$1 LW_CPU=$2 LW_TEST_EXPECT_MAX_LEVEL=${EXPECT:-} qemu-aarch64 "$BUILD_DIR/tests/${3#test_}/$3" \
    --gtest_filter="$4" --gtest_brief=1
}

# Detection: each emulated CPU's best level, and its kernel tables.
EXPECT=neon run cortex-a72 "" test_quant 'Cpu.*:KernelTable.*'
EXPECT=dotprod run neoverse-n1 "" test_quant 'Cpu.*:KernelTable.*'
EXPECT=bf16 run max "" test_quant 'Cpu.*:KernelTable.*'
# The kernel tests compare every level the CPU has (scalar, neon, dotprod, i8mm, bf16) in one run.
run max "" test_quant '*'
for level in neon dotprod i8mm bf16; do
  run max $level test_engine "$ENGINE_TESTS"
  if [ $all -eq 1 ] || [ $level = neon ]; then run max $level test_train "$TRAIN_TESTS"; fi
done
echo "test.sh --arch aarch64: every level passed"
