#!/usr/bin/env bash
# Batched decode: the aggregate decode tokens/s of `longwriter generate --n N` (N sequences of one
# prompt, one forward pass per token for all of them, the prompt prefilled once) for each N in
# --ns, against N = 1 in the same run. The runs are interleaved (each repetition runs every N once,
# in turn) and the medians are printed with their ratio to N = 1, which is what a kernel that
# spends each weight read on several rows should raise (see docs/engine.md).
#
# Usage:
#   scripts/bench/batched_decode.sh MODEL [--build DIR] [--threads N] [--reps N] [--tokens N]
#       [--ns "1 4 8"] [--out DIR]
# MODEL: a .gguf file or model directory. --tokens: tokens generated per sequence (default 64).
# --threads 0 uses every core. Sampling is greedy with no stop id reached in practice on random
# weights; a sequence that ends early still counts only the tokens it decoded.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build
THREADS=0
REPS=3
TOKENS=64
NS="1 4 8"
OUT=
MODEL=
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) BUILD=$(cd "$2" && pwd); shift ;;
    --threads) THREADS=$2; shift ;;
    --reps) REPS=$2; shift ;;
    --tokens) TOKENS=$2; shift ;;
    --ns) NS=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    *) MODEL=$1 ;;
  esac
  shift
done
[[ -n $MODEL ]] || { echo "give a model (.gguf file or directory); see --help" >&2; exit 2; }
[[ -e $MODEL ]] || { echo "$MODEL: no such model" >&2; exit 2; }
LW=$BUILD/longwriter
[[ -x $LW ]] || { echo "$LW: not built (cmake --build build --target longwriter)" >&2; exit 2; }
OUT=${OUT:-${TMPDIR:-/tmp}/lw-batched-decode-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
PROMPT="Write a long story about the history of the Roman roads, from the first surveyed routes to the great highways of the empire."
echo "model $MODEL; $TOKENS tokens per sequence; N in ($NS); $REPS interleaved repetitions; threads $THREADS"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"

for rep in $(seq 1 "$REPS"); do
  for n in $NS; do
    log=$OUT/n$n.rep$rep.log
    "$LW" --log-level warn generate --model "$MODEL" --prompt "$PROMPT" --max-new-tokens "$TOKENS" \
      --threads "$THREADS" --n "$n" > /dev/null 2> "$log" || { echo "generate --n $n failed; see $log" >&2; exit 1; }
    # "decode 12.3 tokens/s" (N = 1) or "decode 45.6 tokens/s aggregate" (N > 1)
    rate=$(grep -o 'decode [0-9.]* tokens/s' "$log" | tail -1 | awk '{print $2}')
    [[ -n $rate ]] || { echo "no decode rate in $log" >&2; exit 1; }
    echo "$n $rate" >> "$OUT/rates.txt"
    echo "  rep $rep  n=$n  decode $rate tokens/s"
  done
done
tail -1 "$OUT/n1.rep1.log" 2> /dev/null | sed 's/^/n=1: /' || true

python3 - "$OUT/rates.txt" "$NS" << 'PY'
import statistics, sys
rates = {}
for line in open(sys.argv[1]):
    n, r = line.split()
    rates.setdefault(int(n), []).append(float(r))
ns = [int(x) for x in sys.argv[2].split()]
base = statistics.median(rates[1]) if 1 in rates else None
print(f"{'N':>4} {'median tok/s':>13} {'min':>8} {'max':>8} {'x N=1':>7}")
for n in ns:
    v = rates[n]
    m = statistics.median(v)
    ratio = f"{m / base:.2f}" if base else "-"
    print(f"{n:>4} {m:>13.1f} {min(v):>8.1f} {max(v):>8.1f} {ratio:>7}")
PY
echo "logs: $OUT"
