#!/usr/bin/env bash
# Decode speed on an idle machine and with a second job on the same cores (2 threads each by
# default): how much a shared machine costs the engine's decoding. Competitors:
#   engine   another lw_llm_bench decoding the same model (the engine's defaults)
#   hog      THREADS busy loops (`yes > /dev/null`)
#   llamacpp llama.cpp's llama-bench decoding the same model (needs LLAMA_CPP)
# Usage: scripts/bench/contention.sh [--build DIR] [--threads N] [--tg N] [--reps N] MODEL.gguf [engine hog llamacpp]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build THREADS=2 TG=64 REPS=3 MODEL= KINDS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) BUILD=$(cd "$2" && pwd); shift ;;
    --threads) THREADS=$2; shift ;;
    --tg) TG=$2; shift ;;
    --reps) REPS=$2; shift ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *.gguf) MODEL=$1 ;;
    *) KINDS+=("$1") ;;
  esac
  shift
done
[[ -n $MODEL ]] || { echo "no MODEL.gguf given" >&2; exit 2; }
[[ ${#KINDS[@]} -gt 0 ]] || KINDS=(engine hog)
B=$BUILD/bench/lw_llm_bench
tg() { "$B" --model "$MODEL" --pp 0 --tg "$TG" --reps "$REPS" --threads "$THREADS" | awk '/^tg/ {print $2}'; }
idle=$(tg)
echo "idle: $idle tokens/s (LW_POOL_SPIN=${LW_POOL_SPIN:-default} LW_POOL_YIELD=${LW_POOL_YIELD:-default} OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-unset})"
for kind in "${KINDS[@]}"; do
  pids=()
  case $kind in
    engine) "$B" --model "$MODEL" --pp 0 --tg 1000000 --reps 1 --threads "$THREADS" > /dev/null 2>&1 & pids+=($!) ;;
    hog) for ((i = 0; i < THREADS; i++)); do yes > /dev/null & pids+=($!); done ;;
    llamacpp) : "${LLAMA_CPP:?set LLAMA_CPP for the llamacpp competitor}"
              "$LLAMA_CPP/llama-bench" -m "$MODEL" -t "$THREADS" -p 0 -n 100000 -r 1 > /dev/null 2>&1 & pids+=($!) ;;
    *) echo "unknown competitor $kind" >&2; exit 2 ;;
  esac
  sleep 3
  busy=$(tg)
  kill "${pids[@]}" 2> /dev/null || true
  wait "${pids[@]}" 2> /dev/null || true
  python3 -c "print(f'with {\"$kind\":9s}: $busy tokens/s, {float(\"$idle\")/float(\"$busy\"):.2f}x slower than idle')"
done
