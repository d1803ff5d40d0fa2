#!/usr/bin/env bash
# Same-run comparison of the engine with llama.cpp on model files (any GGUF type): llama-bench's
# pp512 / tg128 against lw_llm_bench's, repetitions interleaved (llama.cpp, ours, llama.cpp, ...),
# medians, ratios. Prints a markdown table and keeps the raw outputs.
#
# Usage:
#   LLAMA_CPP=/path/llama.cpp/build/bin scripts/bench/compare_llamacpp_files.sh [options] FILE.gguf...
# Options:
#   --build DIR     our build folder (default build/)           --reps N     repetitions (default 3)
#   --threads N     threads for both (default 2)                --pp N --tg N  test sizes (512 / 128)
#   --cpu LEVEL     LW_CPU for ours (e.g. avx2; pair it with a llama.cpp built without AVX-512)
#   --passive       OMP_WAIT_POLICY=PASSIVE for both            --out DIR    raw outputs
# Models of the benchmark shapes come from bench/make_model.cpp (lw_make_model) and llama-quantize.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build
REPS=3 THREADS=2 PP=512 TG=128 CPU= OUT=
FILES=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) BUILD=$(cd "$2" && pwd); shift ;;
    --reps) REPS=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --pp) PP=$2; shift ;;
    --tg) TG=$2; shift ;;
    --cpu) CPU=$2; shift ;;
    --passive) export OMP_WAIT_POLICY=PASSIVE ;;
    --out) OUT=$2; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    *) FILES+=("$1") ;;
  esac
  shift
done
: "${LLAMA_CPP:?set LLAMA_CPP to the build/bin folder of llama.cpp}"
[[ ${#FILES[@]} -gt 0 ]] || { echo "no model files given (see --help)" >&2; exit 2; }
OURS=$BUILD/bench/lw_llm_bench
[[ -x $OURS ]] || { echo "$OURS: not built (ninja -C $BUILD lw_llm_bench)" >&2; exit 2; }
OUT=${OUT:-${TMPDIR:-/tmp}/lw-compare-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
{
  lscpu | grep -E 'Model name' | sed 's/  */ /g'
  echo "flags: $(grep -o -w -E 'avx2|fma|f16c|avx512f|avx512bw|avx512vl|avx512dq|avx512_vnni|avx512_bf16|avx_vnni' /proc/cpuinfo | sort -u | tr '\n' ' ')"
  echo "threads $THREADS, reps $REPS, LW_CPU=${CPU:-(max)}, OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-(unset)}"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/machine.txt"

median() { sort -g | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "nan")}'; }
echo
echo "| model | test | llama.cpp t/s | ours t/s | ours / llama.cpp |"
echo "|---|---|---:|---:|---:|"
for f in "${FILES[@]}"; do
  name=$(basename "$f" .gguf)
  : > "$OUT/$name.llama.csv"; : > "$OUT/$name.ours.txt"
  for ((r = 0; r < REPS; r++)); do
    "$LLAMA_CPP/llama-bench" -m "$f" -t "$THREADS" -p "$PP" -n "$TG" -r 1 -o csv 2>>"$OUT/$name.llama.log" |
      grep -v '^$' >> "$OUT/$name.llama.csv"
    LW_CPU=$CPU "$OURS" --model "$f" --pp "$PP" --tg "$TG" --reps 1 --threads "$THREADS" >> "$OUT/$name.ours.txt" 2>>"$OUT/$name.ours.log"
  done
  for test in pp tg; do
    n=$([[ $test == pp ]] && echo "$PP" || echo "$TG")
    [[ $n -gt 0 ]] || continue
    # llama-bench's csv rows (header repeated per run): the median avg_ts of this test
    l=$(python3 - "$OUT/$name.llama.csv" "$test" "$n" <<'PY'
import csv, sys
path, test, n = sys.argv[1:]
vals = []
for d in csv.DictReader(open(path)):
    if d.get("build_commit") == "build_commit":
        continue
    want = (d.get("n_prompt"), d.get("n_gen")) == ((n, "0") if test == "pp" else ("0", n))
    if want:
        vals.append(float(d["avg_ts"]))
vals.sort()
print(vals[len(vals) // 2] if vals else "nan")
PY
)
    o=$( (grep "^$test$n " "$OUT/$name.ours.txt" || true) | awk '{print $2}' | median)
    ratio=$(python3 -c "print(f'{float(\"$o\")/float(\"$l\"):.2f}x' if '$l' != 'nan' and '$o' != 'nan' else 'n/a')")
    echo "| $name | $test$n | $l | $o | $ratio |"
  done
done | tee "$OUT/table.md"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/machine.txt"
echo "raw outputs: $OUT"
