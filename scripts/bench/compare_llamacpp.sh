#!/usr/bin/env bash
# Same-run comparison of the native engine with llama.cpp on the very same weights: the issue's
# ~152M random Llama (hidden 768, 12 layers, 12 heads, 4 KV heads, FFN 2048, vocab 50,257), f32 and
# bf16, 2 threads. Prints one table: our tokens/s with an f16 KV cache (llama.cpp's default, the
# like-for-like figure) and with an f32 one, llama.cpp's tokens/s and the ratios, for
#   prefill 512 (llama-bench pp512)      decode from an empty context (llama-bench tg128; ours at context 64)
#   prefill 4096 and decode at context 4096 (llama-batched-bench -npp 4096 -ntg 32, median of REPS)
#   with --long: prefill 16384 and decode at context 16384
# and our attention time / memory vs T (BM_Attention). All raw outputs are kept in OUT.
#
# Usage:
#   LLAMA_CPP=/path/to/llama.cpp/build/bin scripts/bench/compare_llamacpp.sh [--long] [--build DIR]
#       [--models DIR] [--out DIR] [--threads N] [--reps N] [--passive]
# --passive sets OMP_WAIT_POLICY=PASSIVE for both programs (llama.cpp is built with OpenMP too):
# idle OpenMP threads sleep instead of spinning. On a machine whose cores are busy with other jobs
# spinning threads steal each other's time slices and 2-thread decode collapses (10x slower);
# on an idle machine leave it off.
# llama.cpp is built beside the project, never inside it, e.g.
#   cmake -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
#         -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF
#   ninja -C build -j2 llama-bench llama-batched-bench
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build
MODELS=${TMPDIR:-/tmp}/lw-llama152m
OUT=
THREADS=2
REPS=3
LONG=0
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --long) LONG=1 ;;
    --build) BUILD=$(cd "$2" && pwd); shift ;;
    --models) MODELS=$2; shift ;;
    --out) OUT=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    --reps) REPS=$2; shift ;;
    --passive) export OMP_WAIT_POLICY=PASSIVE ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
: "${LLAMA_CPP:?set LLAMA_CPP to the build/bin folder of llama.cpp (with llama-bench and llama-batched-bench)}"
for t in llama-bench llama-batched-bench; do
  [[ -x $LLAMA_CPP/$t ]] || { echo "$LLAMA_CPP/$t: not found or not executable" >&2; exit 2; }
done
BENCH=$BUILD/bench/bench_engine
LW=$BUILD/longwriter
for b in "$BENCH" "$LW"; do
  [[ -x $b ]] || { echo "$b: not built (ninja -C $BUILD bench_engine longwriter)" >&2; exit 2; }
done
OUT=${OUT:-$MODELS/run-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$MODELS" "$OUT"

# 1. The weights: one random f32 HF directory (+ GPT-2 tokenizer), converted to GGUF f32 and bf16.
HF=$MODELS/llama152m
if [[ ! -f $HF/model.safetensors ]]; then
  LW_BENCH_MAKE_MODEL=$HF "$BENCH"
fi
for dt in f32 bf16; do
  [[ -f $MODELS/llama152m-$dt.gguf ]] || "$LW" convert "$HF" "$MODELS/llama152m-$dt.gguf" --dtype "$dt"
done

lscpu | grep -E 'Model name|^CPU\(s\)|Flags' | sed 's/Flags:.*/AVX-512 flags: &/' |
  grep -oE 'Model name:.*|CPU\(s\):.*|avx512[a-z_0-9]*' | tr '\n' ' ' > "$OUT/cpu.txt"
echo >> "$OUT/cpu.txt"
echo "threads $THREADS, OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-(unset)}" >> "$OUT/cpu.txt"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/load.txt"

# 2. llama.cpp: pp512 / tg128 with llama-bench; prefill and decode at long contexts with
#    llama-batched-bench (it reports the prefill of PP tokens and the decode speed right after it).
"$LLAMA_CPP/llama-bench" -m "$MODELS/llama152m-f32.gguf" -m "$MODELS/llama152m-bf16.gguf" -t "$THREADS" \
  -p 512 -n 128 -r "$REPS" -o json > "$OUT/llama_bench.json" 2> "$OUT/llama_bench.log"
CTXS=(4096)
[[ $LONG == 1 ]] && CTXS+=(16384)
for dt in f32 bf16; do
  for ctx in "${CTXS[@]}"; do
    n=$REPS
    [[ $ctx -gt 4096 ]] && n=1  # minutes per run
    : > "$OUT/llama_batched_${dt}_$ctx.jsonl"
    for ((r = 0; r < n; r++)); do
      "$LLAMA_CPP/llama-batched-bench" -m "$MODELS/llama152m-$dt.gguf" -t "$THREADS" -tb "$THREADS" \
        -c $((ctx + 64)) -b 2048 -ub 512 -npp "$ctx" -ntg 32 -npl 1 --output-format jsonl \
        > "$OUT/llama_batched_${dt}_${ctx}_$r.log" 2>&1
      grep '^{' "$OUT/llama_batched_${dt}_${ctx}_$r.log" >> "$OUT/llama_batched_${dt}_$ctx.jsonl"
    done
  done
done
echo "load average after llama.cpp: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt"

# 3. Ours, on the same weights (the HF directory, converted to f32 / bf16 at load time).
#    Each case REPS times, the median kept (this VM's speed swings within minutes). Prefill 16,384
#    runs once, with the f16 cache only (a minute per run).
ours() {  # FILTER REPS NAME
  env OMP_NUM_THREADS="$THREADS" LW_BENCH_MODEL="$HF" LW_BENCH_LONG=$LONG "$BENCH" --benchmark_filter="$1" \
    --benchmark_repetitions="$2" --benchmark_report_aggregates_only=true --benchmark_format=json \
    > "$OUT/ours_$3.json" 2> "$OUT/ours_$3.log"
}
DCTX='64|4096'
[[ $LONG == 1 ]] && DCTX+='|16384'
ours "^(BM_Prefill/[01]/(512|4096)/[01]/|BM_Decode/[01]/($DCTX)/1/[01]/)" "$REPS" main
ours '^BM_Attention/' 1 attention
[[ $LONG == 1 ]] && ours '^BM_Prefill/[01]/16384/1/' 1 long
echo "load average after ours: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt"

# 4. The table.
python3 - "$OUT" <<'EOF'
import json, glob, os, re, sys
out = sys.argv[1]
ours = {}
attn = []
benches = []
for f in sorted(glob.glob(os.path.join(out, "ours_*.json"))):
    benches += json.load(open(f))["benchmarks"]
for b in benches:
    if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
        continue
    parts = b.get("run_name", b["name"]).split("/")
    if parts[0] == "BM_Attention":
        attn.append((int(parts[1]), b["real_time"], b["GFLOP/s"], b["scratch_KB_per_thread"], b["io_MB"], b["naive_scores_MB"]))
        continue
    dt = "f32" if parts[1] == "0" else "bf16"
    kind = "prefill" if parts[0] == "BM_Prefill" else "decode"
    kv = parts[3] if kind == "prefill" else parts[4]  # KV cache: 0 f32, 1 f16
    ours[(dt, kind, int(parts[2]), "f16" if kv == "1" else "f32")] = b["tokens/s"]
theirs = {}
for r in json.load(open(os.path.join(out, "llama_bench.json"))):
    dt = "bf16" if "bf16" in r["model_filename"] else "f32"
    if r["n_prompt"] > 0 and r["n_gen"] == 0:
        theirs[(dt, "prefill", r["n_prompt"])] = r["avg_ts"]
    elif r["n_gen"] > 0 and r["n_prompt"] == 0:
        theirs[(dt, "decode", 64)] = r["avg_ts"]
for f in glob.glob(os.path.join(out, "llama_batched_*.jsonl")):
    dt, ctx = re.search(r"llama_batched_(\w+?)_(\d+)\.jsonl", f).groups()
    rows = [json.loads(line) for line in open(f)]
    med = lambda xs: sorted(xs)[len(xs) // 2]  # median of the repeated runs
    theirs[(dt, "prefill", int(ctx))] = med([r["speed_pp"] for r in rows])
    theirs[(dt, "decode", int(ctx))] = med([r["speed_tg"] for r in rows])
print()
print(open(os.path.join(out, "cpu.txt")).read().strip())
print(open(os.path.join(out, "load.txt")).read().strip())
print()
print("| case | weights | ours, KV f16 | ours, KV f32 | llama.cpp (KV f16) | ours f16 / llama.cpp | ours f32 / llama.cpp |")
print("|---|---|---:|---:|---:|---:|---:|")
label = {("prefill", 512): "prefill 512 (pp512)", ("decode", 64): "decode, empty context (tg128; ours at 64)",
         ("prefill", 4096): "prefill 4,096", ("decode", 4096): "decode at context 4,096",
         ("prefill", 16384): "prefill 16,384", ("decode", 16384): "decode at context 16,384"}
for key in label:
    for dt in ("f32", "bf16"):
        a16, a32 = ours.get((dt,) + key + ("f16",)), ours.get((dt,) + key + ("f32",))
        b = theirs.get((dt,) + key)
        if a16 is None and a32 is None and b is None:
            continue
        f = lambda x: f"{x:,.1f}" if x else "-"
        r = lambda x: f"{x / b:.2f}x" if x and b else "-"
        print(f"| {label[key]} | {dt} | {f(a16)} | {f(a32)} | {f(b)} | {r(a16)} | {r(a32)} |")
if attn:
    print()
    print("Our attention alone (12 heads, 4 KV heads, hd 64, one causal sequence):")
    print("| T | time ms | GFLOP/s | scratch KB/thread | q,k,v,out MB | naive T*T scores MB |")
    print("|---:|---:|---:|---:|---:|---:|")
    for T, ms, gf, kb, io, naive in sorted(attn):
        print(f"| {T:,} | {ms:,.1f} | {gf:.1f} | {kb:.1f} | {io:.1f} | {naive:,.1f} |")
print()
print(f"raw outputs: {out}")
EOF
