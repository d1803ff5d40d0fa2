#!/usr/bin/env bash
# Before/after in the same run: one Google Benchmark program of two build trees, run alternately
# (before, after, before, after, ...) so that both see the same machine load, then the median of each
# benchmark's real time per side and the ratio after / before (< 1: the after is faster).
#
#   scripts/bench/ab_compare.sh BEFORE_BUILD AFTER_BUILD PROGRAM FILTER [REPS]
#   e.g. (build the fork point's benchmarks into /tmp/lw-before/build first):
#   OMP_NUM_THREADS=2 scripts/bench/ab_compare.sh /tmp/lw-before/build build bench_train 'BM_TrainPacked/|BM_OpElementwise' 5
#
# OUT=DIR keeps the JSON of every run (default: a temporary directory, removed at the end).
set -euo pipefail
if [ $# -lt 4 ]; then
  sed -n '2,10p' "$0"
  exit 2
fi
before=$1 after=$2 prog=$3 filter=$4 reps=${5:-3}
out=${OUT:-$(mktemp -d)}
[ -n "${OUT:-}" ] || trap 'rm -rf "$out"' EXIT
mkdir -p "$out"
for ((i = 1; i <= reps; i++)); do
  for side in before after; do
    dir=$before
    [ $side = after ] && dir=$after
    echo "rep $i/$reps: $side ($(uptime | sed 's/.*load average: //'))" >&2
    "$dir/bench/$prog" --benchmark_filter="$filter" --benchmark_format=json \
      --benchmark_out="$out/$side.$i.json" --benchmark_out_format=json > /dev/null
  done
done
python3 - "$out" "$reps" <<'EOF'
import json, statistics, sys
out, reps = sys.argv[1], int(sys.argv[2])
times = {"before": {}, "after": {}}
for side in times:
    for i in range(1, reps + 1):
        for b in json.load(open(f"{out}/{side}.{i}.json"))["benchmarks"]:
            if b.get("run_type") == "aggregate":
                continue
            times[side].setdefault(b["name"], []).append(b["real_time"])
unit = {}
for i in range(1, 2):
    for b in json.load(open(f"{out}/after.{i}.json"))["benchmarks"]:
        unit[b["name"]] = b.get("time_unit", "ns")
print(f"{'benchmark':58s} {'before':>12s} {'after':>12s} {'after/before':>12s}   (median real time of {reps} runs each)")
for name, ts in times["after"].items():
    if name not in times["before"]:
        continue
    b, a = statistics.median(times["before"][name]), statistics.median(ts)
    print(f"{name:58s} {b:10.1f}{unit[name]:>2s} {a:10.1f}{unit[name]:>2s} {a / b:12.3f}")
    print(f"{'':58s} runs: before {', '.join(f'{x:.1f}' for x in times['before'][name])}; "
          f"after {', '.join(f'{x:.1f}' for x in ts)}")
EOF
