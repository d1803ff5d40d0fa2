#!/usr/bin/env bash
# Many writers at once: `longwriter serve --parallel 8` against llama.cpp's `llama-server -np 8` on
# the same GGUF file, in the same run. Both servers are started once per file and stay up; the
# client runs (scripts/bench/parallel_clients.py: CLIENTS concurrent clients, REQUESTS requests
# each of TOKENS completion tokens) alternate between them REPS times, and the medians of the
# aggregate completion tokens/s are printed with their ratio, for 8 clients and for 1.
#
# Usage:
#   LLAMA_CPP=/path/to/llama.cpp/build/bin scripts/bench/serve_parallel.sh GGUF [GGUF ...]
#       [--build DIR] [--threads N] [--reps N] [--tokens N] [--requests N] [--format F] [--out DIR]
# --format: our server's chat format for files without a chat template (default llama3-longwriter;
# llama-server falls back to its own default template).
# --passive: idle threads sleep instead of spinning (OMP_WAIT_POLICY=PASSIVE for ours, --poll 0 for
# llama-server). On a machine whose cores are busy with other jobs spinning threads lose their time
# slices and decode collapses; on an idle machine leave it off.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build
THREADS=2
REPS=3
TOKENS=128
REQUESTS=2
OUT=
FORMAT=llama3-longwriter
LLAMA_EXTRA=()
FILES=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) BUILD=$(cd "$2" && pwd); shift ;;
    --threads) THREADS=$2; shift ;;
    --reps) REPS=$2; shift ;;
    --tokens) TOKENS=$2; shift ;;
    --requests) REQUESTS=$2; shift ;;
    --out) OUT=$2; shift ;;
    --format) FORMAT=$2; shift ;;
    --passive) export OMP_WAIT_POLICY=PASSIVE; LLAMA_EXTRA=(--poll 0) ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    *) FILES+=("$1") ;;
  esac
  shift
done
: "${LLAMA_CPP:?set LLAMA_CPP to the build/bin folder of llama.cpp (with llama-server)}"
[[ ${#FILES[@]} -gt 0 ]] || { echo "give one or more .gguf files" >&2; exit 2; }
LW=$BUILD/longwriter
[[ -x $LW ]] || { echo "$LW: not built" >&2; exit 2; }
OUT=${OUT:-${TMPDIR:-/tmp}/lw-serve-parallel-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
CLIENT="python3 $ROOT/scripts/bench/parallel_clients.py"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-(unset)} llama-server extra: ${LLAMA_EXTRA[*]:-(none)}" | tee "$OUT/load.txt"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() {  # url pid
  for _ in $(seq 1 600); do
    curl -sf "$1/health" > /dev/null 2>&1 && return 0
    kill -0 "$2" 2> /dev/null || return 1
    sleep 0.2
  done
  return 1
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2> /dev/null || true; done; }
trap cleanup EXIT

printf "%-28s %8s %12s %12s %7s\n" file clients longwriter llama-server ratio
for f in "${FILES[@]}"; do
  name=$(basename "$f" .gguf)
  p1=$(free_port)
  "$LW" serve --model "$f" --format "$FORMAT" --port "$p1" --parallel 8 --threads "$THREADS" --max-context 1024 \
    > "$OUT/$name-lw.log" 2>&1 &
  lw_pid=$!
  PIDS+=("$lw_pid")
  p2=$(free_port)
  "$LLAMA_CPP/llama-server" -m "$f" --port "$p2" -np 8 -t "$THREADS" -c 8192 "${LLAMA_EXTRA[@]}" > "$OUT/$name-llama.log" 2>&1 &
  ll_pid=$!
  PIDS+=("$ll_pid")
  wait_up "http://127.0.0.1:$p1" "$lw_pid" || { echo "longwriter serve did not start (see $OUT/$name-lw.log)" >&2; exit 1; }
  wait_up "http://127.0.0.1:$p2" "$ll_pid" || { echo "llama-server did not start (see $OUT/$name-llama.log)" >&2; exit 1; }
  for clients in 8 1; do
    : > "$OUT/$name-$clients-lw.txt"
    : > "$OUT/$name-$clients-llama.txt"
    for r in $(seq 1 "$REPS"); do
      $CLIENT --url "http://127.0.0.1:$p1" --clients "$clients" --requests "$REQUESTS" --tokens "$TOKENS" \
        | tee -a "$OUT/$name-$clients-lw.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens_per_s"])' \
        >> "$OUT/$name-$clients-lw.txt"
      $CLIENT --url "http://127.0.0.1:$p2" --clients "$clients" --requests "$REQUESTS" --tokens "$TOKENS" \
        | tee -a "$OUT/$name-$clients-llama.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens_per_s"])' \
        >> "$OUT/$name-$clients-llama.txt"
    done
    a=$(median < "$OUT/$name-$clients-lw.txt")
    b=$(median < "$OUT/$name-$clients-llama.txt")
    printf "%-28s %8s %12s %12s %7.2f\n" "$name" "$clients" "$a" "$b" "$(echo "$a / $b" | bc -l)" | tee -a "$OUT/table.txt"
  done
  kill "$lw_pid" "$ll_pid" 2> /dev/null || true
  wait "$lw_pid" "$ll_pid" 2> /dev/null || true
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt"
echo "raw outputs in $OUT"
