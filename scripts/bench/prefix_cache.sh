#!/usr/bin/env bash
# Prefix reuse on the ~152M random Llama (the model of compare_llamacpp.sh, bf16 GGUF):
#  1. chain: lw_prefix_bench, 10 requests each extending the previous prompt by 1,000 tokens,
#     with and without reuse alternately (REPS each): prompt tokens the engine computed, wall
#     times, ratio, and whether the greedy replies were identical.
#  2. write: `longwriter write --plan` of a 10,000-word, 10-paragraph plan (random weights write
#     until their per-paragraph cap), its wall time against the bound
#        decode tokens / decode speed + new prompt tokens / prefill speed
#     with both speeds measured right after it by lw_llm_bench at the write's mean context.
#
# Usage: scripts/bench/prefix_cache.sh [--build DIR] [--models DIR] [--threads N] [--reps N]
#            [--only chain|write] [--out DIR]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build
MODELS=${TMPDIR:-/tmp}/lw-llama152m
THREADS=2
REPS=3
ONLY=
OUT=
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) BUILD=$(cd "$2" && pwd); shift ;;
    --models) MODELS=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --reps) REPS=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
LW=$BUILD/longwriter
for b in "$LW" "$BUILD/bench/bench_engine" "$BUILD/bench/lw_prefix_bench" "$BUILD/bench/lw_llm_bench"; do
  [[ -x $b ]] || { echo "$b: not built" >&2; exit 2; }
done
OUT=${OUT:-$MODELS/prefix-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$MODELS" "$OUT"
HF=$MODELS/llama152m
[[ -f $HF/model.safetensors ]] || LW_BENCH_MAKE_MODEL=$HF "$BUILD/bench/bench_engine"
GGUF=$MODELS/llama152m-bf16.gguf
[[ -f $GGUF ]] || "$LW" convert "$HF" "$GGUF" --dtype bf16
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/load.txt"

if [[ -z $ONLY || $ONLY == chain ]]; then
  echo "== chain: 10 requests x 1,000 new tokens, 16 generated each, with / without reuse"
  "$BUILD/bench/lw_prefix_bench" --model "$GGUF" --tokenizer "$HF" --requests 10 --step 1000 --gen 16 \
    --reps "$REPS" --threads "$THREADS" | tee "$OUT/chain.txt"
fi

if [[ -z $ONLY || $ONLY == write ]]; then
  echo "== write: 10,000 words in 10 paragraphs"
  PLAN=$OUT/plan.txt
  : > "$PLAN"
  for i in $(seq 1 10); do
    echo "Paragraph $i - Main Point: part $i of the lighthouse keeper's year - Word Count: 1000 words" >> "$PLAN"
  done
  t0=$(date +%s.%N)
  "$LW" write "Write a 10000-word story about a lighthouse keeper's year." --plan "$PLAN" --model "$GGUF" \
    --format llama3-longwriter --threads "$THREADS" --concurrency 1 -o "$OUT/write.md" \
    > /dev/null 2> "$OUT/write.log"
  t1=$(date +%s.%N)
  wall=$(echo "$t1 - $t0" | bc -l)
  summary=$(grep -E "prompt tokens \(" "$OUT/write.log" | tail -1)
  echo "$summary"
  num() { echo "$summary" | grep -oE "$1" | grep -oE '[0-9.]+' | head -1; }
  prompt=$(num '[0-9]+ prompt tokens')
  cached=$(num '\([0-9]+ cached')
  completion=$(num '[0-9]+ completion tokens')
  last=$(num 'last prompt [0-9]+')
  depth=$(( (last + completion / 10) / 2 ))
  "$BUILD/bench/lw_llm_bench" --model "$GGUF" --pp 512 --tg 64 --depth "$depth" --reps "$REPS" \
    --threads "$THREADS" > "$OUT/speeds.txt"
  pp=$(awk '/^pp512/ {print $2}' "$OUT/speeds.txt")
  tg=$(awk '/^tg64/ {print $2}' "$OUT/speeds.txt")
  bound=$(echo "$completion / $tg + ($prompt - $cached) / $pp" | bc -l)
  printf "wall %.1f s; decode %d tokens at %.1f tok/s + new prompt %d tokens at %.1f tok/s (depth %d) = bound %.1f s; wall/bound %.3f\n" \
    "$wall" "$completion" "$tg" "$((prompt - cached))" "$pp" "$depth" "$bound" "$(echo "$wall / $bound" | bc -l)" |
    tee "$OUT/write.txt"
  grep -E "wrote [0-9]+ words|hit their token cap" "$OUT/write.log" | tail -2
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt"
echo "raw outputs in $OUT"
