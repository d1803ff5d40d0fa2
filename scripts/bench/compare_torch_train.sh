#!/usr/bin/env bash
# Same-run comparison of the native trainer (bench/bench_train.cpp) with PyTorch on the CPU
# (scripts/bench/torch_train_baseline.py): one training step (forward + backward + clip + AdamW) of
# the ~19M config on a 4,096-token pack of 4 sequences, both with THREADS threads, back to back.
# Only same-run ratios mean anything on a shared machine.
#
#   scripts/bench/compare_torch_train.sh [BUILD_DIR]     (default: build)
#   env: THREADS=2  STEPS=3 (timed PyTorch steps)  PYTHON=/usr/bin/python3 (needs python3-torch)
#        PADDED=1 also times PyTorch on the padded batch
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
THREADS=${THREADS:-2}
STEPS=${STEPS:-3}
PY=${PYTHON:-/usr/bin/python3}
BENCH="$BUILD/bench/bench_train"
[ -x "$BENCH" ] || { echo "no $BENCH (build it: ninja -C $BUILD bench_train)" >&2; exit 2; }
"$PY" -c 'import torch' 2>/dev/null || { echo "$PY has no torch (apt-get install python3-torch)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "== PyTorch packed ($THREADS threads, $STEPS steps)" >&2
OMP_NUM_THREADS=$THREADS "$PY" scripts/bench/torch_train_baseline.py --threads "$THREADS" --steps "$STEPS" \
  | tee "$tmp/torch_packed.json" >&2
if [ "${PADDED:-0}" = 1 ]; then
  echo "== PyTorch padded" >&2
  OMP_NUM_THREADS=$THREADS "$PY" scripts/bench/torch_train_baseline.py --threads "$THREADS" --steps "$STEPS" --padded \
    | tee "$tmp/torch_padded.json" >&2
fi
echo "== native bench_train" >&2
OMP_NUM_THREADS=$THREADS "$BENCH" --benchmark_filter='BM_TrainPacked/|BM_TrainPadded' \
  --benchmark_out="$tmp/native.json" --benchmark_out_format=json >&2
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

"$PY" - "$tmp" <<'PY'
import json, os, sys
d = sys.argv[1]
nat = {b["name"].split("/")[0]: b for b in json.load(open(os.path.join(d, "native.json")))["benchmarks"]}
tp = json.load(open(os.path.join(d, "torch_packed.json")))
pp = os.path.join(d, "torch_padded.json")
tpad = json.load(open(pp)) if os.path.exists(pp) else None
n_pk, n_pd = nat["BM_TrainPacked"]["tokens/s"], nat["BM_TrainPadded"]["tokens/s"]
print(f"{'run':<34}{'real tokens/s':>14}")
print(f"{'native packed (4 seqs, 4096)':<34}{n_pk:>14.0f}")
print(f"{'native padded (4 x 1800)':<34}{n_pd:>14.0f}")
print(f"{'pytorch packed (per-seq attention)':<34}{tp['tokens_per_s']:>14.0f}")
if tpad:
    print(f"{'pytorch padded (4 x 1800)':<34}{tpad['tokens_per_s']:>14.0f}")
print(f"native packed / pytorch packed: {n_pk / tp['tokens_per_s']:.2f}x")
print(f"native packed / native padded:  {n_pk / n_pd:.2f}x")
print(f"native peak RSS: {nat['BM_TrainPadded'].get('peak_rss_MiB', 0):.0f} MiB (after both runs)")
PY
