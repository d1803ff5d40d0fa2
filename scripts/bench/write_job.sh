#!/usr/bin/env bash
# A long write end to end: `longwriter write --plan` over a fixed plan of P paragraphs of W words,
# from a local model, in each of the given modes, interleaved over the repetitions; prints each
# run's wall time, completion tokens and tokens/s, then the medians and their ratio to the first
# mode. Random-weight models never stop early, so every paragraph runs to its token cap (W words x
# the tokenizer's tokens per word + the cap margin): the job is a fixed amount of decoding.
#
# Usage:
#   scripts/bench/write_job.sh MODEL [--paragraphs P] [--words W] [--modes "seq par"] [--reps N]
#       [--threads N] [--build DIR] [--lw PATH] [--out DIR] [-- EXTRA WRITE ARGS]
# Modes: seq (one paragraph after another, each seeing the text so far), par (--parallel: every
# paragraph at once, decoded together), seq+lookup / par+lookup (the same with --lookup drafts),
# any other name is passed through as extra flags with '+' read as a space (e.g. "seq+--kv-cache+q8_0").
# --lw runs another build's longwriter for a before/after comparison (e.g. a worktree of an older
# commit); the modes then run with both, interleaved: "seq@/path/to/old/longwriter".
#
# Examples (docs/engine.md):
#   scripts/bench/write_job.sh /work/models/llama8b-q4_k_m.gguf --paragraphs 4 --words 200 --modes "seq par"
#   scripts/bench/write_job.sh /work/models/llama8b-q4_k_m.gguf --paragraphs 20 --words 500 \
#       --modes "par seq+lookup" --reps 1
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build
LW=
THREADS=0
REPS=1
PARAS=4
WORDS=200
MODES="seq par"
OUT=
MODEL=
EXTRA=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) BUILD=$(cd "$2" && pwd); shift ;;
    --lw) LW=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --reps) REPS=$2; shift ;;
    --paragraphs) PARAS=$2; shift ;;
    --words) WORDS=$2; shift ;;
    --modes) MODES=$2; shift ;;
    --out) OUT=$2; shift ;;
    --) shift; EXTRA=("$@"); break ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    *) MODEL=$1 ;;
  esac
  shift
done
[[ -n $MODEL ]] || { echo "give a model (.gguf file or directory); see --help" >&2; exit 2; }
[[ -e $MODEL ]] || { echo "$MODEL: no such model" >&2; exit 2; }
LW=${LW:-$BUILD/longwriter}
[[ -x $LW ]] || { echo "$LW: not built (cmake --build build --target longwriter)" >&2; exit 2; }
OUT=${OUT:-${TMPDIR:-/tmp}/lw-write-job-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"

PLAN=$OUT/plan.txt
: > "$PLAN"
for i in $(seq 1 "$PARAS"); do
  echo "Paragraph $i - Main Point: part $i of the history of the Roman roads, from surveying to paving - Word Count: $WORDS words" >> "$PLAN"
done
INST="Write a $((PARAS * WORDS))-word history of the Roman roads."
echo "model $MODEL; $PARAS paragraphs x $WORDS words; modes ($MODES); $REPS repetition(s); threads $THREADS"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"

for rep in $(seq 1 "$REPS"); do
  for mode in $MODES; do
    bin=$LW
    name=$mode
    if [[ $mode == *@* ]]; then bin=${mode#*@}; name=${mode%@*}; fi
    flags=()
    for part in ${name//+/ }; do
      case $part in
        seq) ;;
        par) flags+=(--parallel --concurrency "$PARAS") ;;
        lookup) flags+=(--lookup) ;;
        *) flags+=("$part") ;;
      esac
    done
    tag=$(printf %s "$mode" | tr -c 'A-Za-z0-9+_-' '_')
    log=$OUT/$tag.rep$rep.log
    t0=$(date +%s.%N)
    "$bin" --log-level info write "$INST" --plan "$PLAN" --model "$MODEL" --threads "$THREADS" \
      --temperature 0 "${flags[@]}" "${EXTRA[@]}" -o "$OUT/$tag.rep$rep.md" > /dev/null 2> "$log" ||
      { echo "write ($mode) failed; see $log" >&2; exit 1; }
    t1=$(date +%s.%N)
    wall=$(echo "$t1 - $t0" | bc -l)
    tokens=$(grep -o '[0-9]* completion tokens' "$log" | tail -1 | awk '{print $1}')
    words=$(wc -w < "$OUT/$tag.rep$rep.md")
    rate=$(printf %.2f "$(echo "${tokens:-0} / $wall" | bc -l)")
    echo "$mode $wall $tokens $words $rate" >> "$OUT/runs.txt"
    printf '  rep %d  %-24s %8.1f s  %6s tokens  %6s words  %7s tokens/s\n' "$rep" "$mode" "$wall" "$tokens" "$words" "$rate"
  done
done

echo "medians (wall s, tokens/s) and speed-up against the first mode:"
first=
for mode in $MODES; do
  med_wall=$(awk -v m="$mode" '$1 == m {print $2}' "$OUT/runs.txt" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  med_rate=$(awk -v m="$mode" '$1 == m {print $5}' "$OUT/runs.txt" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  first=${first:-$med_wall}
  printf '  %-24s %8.1f s  %7s tokens/s  %5.2fx\n' "$mode" "$med_wall" "$med_rate" "$(echo "$first / $med_wall" | bc -l)"
done
echo "logs and texts: $OUT"
