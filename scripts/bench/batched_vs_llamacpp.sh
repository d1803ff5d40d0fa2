#!/usr/bin/env bash
# Batched decode against llama.cpp on the very same GGUF files: for each model and each batch size
# B, the aggregate decode tokens/s of `longwriter generate --n B` (B sequences of one prompt,
# decoded together) and of `llama-batched-bench -pps -npl B` (B sequences of one shared prompt),
# interleaved over the repetitions; prints the medians, each side's speed-up of B over B = 1, and
# ours / llama.cpp.
#
# Usage:
#   LLAMA_CPP=/path/to/llama.cpp/build/bin scripts/bench/batched_vs_llamacpp.sh MODEL.gguf [MODEL.gguf ...]
#       [--batch "1 4 8"] [--threads N] [--reps N] [--tokens N] [--level LEVEL] [--passive] [--build DIR]
#       [--out DIR]
# --passive sets OMP_WAIT_POLICY=PASSIVE for both (on a machine busy with other jobs spinning OpenMP
# threads steal each other's time slices; on an idle machine leave it off).
# --level runs ours at a lower CPU level (LW_CPU=LEVEL, e.g. avx2); pair it with a llama.cpp built
# for the same instruction set (e.g. -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON).
# llama.cpp is built beside the project, never inside it (see compare_llamacpp.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build
THREADS=2
REPS=3
TOKENS=32
BATCH="1 4 8"
LEVEL=
OUT=
MODELS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) BUILD=$(cd "$2" && pwd); shift ;;
    --threads) THREADS=$2; shift ;;
    --reps) REPS=$2; shift ;;
    --tokens) TOKENS=$2; shift ;;
    --batch) BATCH=$2; shift ;;
    --level) LEVEL=$2; shift ;;
    --passive) export OMP_WAIT_POLICY=PASSIVE ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    *) MODELS+=("$1") ;;
  esac
  shift
done
[[ ${#MODELS[@]} -gt 0 ]] || { echo "give one or more .gguf files; see --help" >&2; exit 2; }
: "${LLAMA_CPP:?set LLAMA_CPP to the build/bin folder of llama.cpp (with llama-batched-bench)}"
LW=$BUILD/longwriter
[[ -x $LW ]] || { echo "$LW: not built" >&2; exit 2; }
[[ -x $LLAMA_CPP/llama-batched-bench ]] || { echo "$LLAMA_CPP/llama-batched-bench: not built" >&2; exit 2; }
OUT=${OUT:-${TMPDIR:-/tmp}/lw-batched-vs-llamacpp-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
PROMPT="Write a long story about the history of the Roman roads, from the first surveyed routes to the great highways."
PP=24  # llama-batched-bench's prompt tokens (about the length of ours)
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); $(nproc) cores;" \
  "$(grep -m1 -oE 'avx512_vnni|avx512_bf16' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "threads $THREADS; $TOKENS tokens per sequence; B in ($BATCH); $REPS interleaved repetitions; ours at level ${LEVEL:-native}"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

: > "$OUT/rates.txt"
for rep in $(seq 1 "$REPS"); do
  for model in "${MODELS[@]}"; do
    m=$(basename "$model" .gguf)
    for b in $BATCH; do
      log=$OUT/ours.$m.b$b.rep$rep.log
      env ${LEVEL:+LW_CPU=$LEVEL} "$LW" --log-level warn generate --model "$model" --prompt "$PROMPT" \
        --max-new-tokens "$TOKENS" --threads "$THREADS" --n "$b" > /dev/null 2> "$log" ||
        { echo "generate --n $b failed; see $log" >&2; exit 1; }
      ours=$(grep -o 'decode [0-9.]* tokens/s' "$log" | tail -1 | awk '{print $2}')
      log=$OUT/llama.$m.b$b.rep$rep.log
      "$LLAMA_CPP/llama-batched-bench" -m "$model" -t "$THREADS" -tb "$THREADS" -c $((PP + b * TOKENS + 64)) \
        -b 512 -ub 512 -npp "$PP" -ntg "$TOKENS" -npl "$b" -pps --output-format jsonl > "$log" 2>&1 ||
        { echo "llama-batched-bench -npl $b failed; see $log" >&2; exit 1; }
      theirs=$(grep '^{' "$log" | tail -1 | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["speed_tg"], 2))')
      echo "$m $b $ours $theirs" >> "$OUT/rates.txt"
      printf '  rep %d  %-28s B=%-2s ours %7s  llama.cpp %7s tokens/s\n' "$rep" "$m" "$b" "$ours" "$theirs"
    done
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$OUT/rates.txt" <<'EOF'
import collections, statistics, sys
runs = collections.defaultdict(lambda: ([], []))
for line in open(sys.argv[1]):
    m, b, ours, theirs = line.split()
    runs[(m, int(b))][0].append(float(ours))
    runs[(m, int(b))][1].append(float(theirs))
print(f"{'model':28} {'B':>3} {'ours t/s':>9} {'x B=1':>6} {'llama.cpp':>9} {'x B=1':>6} {'ours/llama':>10}")
for (m, b) in sorted(runs):
    o, t = (statistics.median(v) for v in runs[(m, b)])
    base = runs.get((m, 1))
    o1, t1 = (statistics.median(v) for v in base) if base else (o, t)
    print(f"{m:28} {b:>3} {o:9.2f} {o / o1:6.2f} {t:9.2f} {t / t1:6.2f} {o / t:10.2f}")
EOF
echo "logs: $OUT"
