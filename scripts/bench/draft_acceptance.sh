#!/usr/bin/env bash
# A real acceptance rate for speculative decoding: the demo's miniature pipeline (`longwriter demo
# --quick`) trains its `long` model; this trains a smaller draft (hidden 32, 1 layer, about a third of
# the bytes) on the same packs with the same recipe, then drafts for `long` with it -- and, for
# comparison, with the demo's `capped` model (same size as `long`, trained on the capped set) -- over
# 3 prompts, greedy (one run each) and sampled (temperature 0.8, seeds 1..5), and prints the drafted
# and accepted tokens summed over the runs.
#
# Usage: scripts/bench/draft_acceptance.sh [--build DIR] [--out DIR]   (about 2 minutes on 2 cores)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build
D=${TMPDIR:-/tmp}/lw-draft-acceptance
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) BUILD=$(cd "$2" && pwd); shift ;;
    --out) D=$2; shift ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
LW=$BUILD/longwriter
[[ -x $LW ]] || { echo "$LW: not built" >&2; exit 2; }
mkdir -p "$D"
[[ -f $D/models/long/config.json ]] || "$LW" demo --quick --out "$D" > "$D/demo.log" 2>&1
mkdir -p "$D/draft-config"
python3 - "$D" <<'PY'
import json, sys
d = sys.argv[1]
c = json.load(open(f'{d}/models/long/config.json'))
c.update(hidden_size=32, num_hidden_layers=1, intermediate_size=96, num_attention_heads=4, num_key_value_heads=2)
c.pop('head_dim', None)
json.dump(c, open(f'{d}/draft-config/config.json', 'w'), indent=2)
PY
# the demo's recipe for `long` (src/demo/train_stage.cpp, quick scale): 8 epochs, one pack per step,
# token weighting, lr 3e-3 with 5 % warmup down to 3e-4
[[ -f $D/models/draft/config.json ]] || "$LW" train --data "$D/packs/long" --model "$D/draft-config/config.json" \
  --out "$D/models/draft" --epochs 8 --batch-packs 1 --weighting token --lr 3e-3 --warmup-ratio 0.05 \
  --min-lr 3e-4 --seed 1 --tokenizer "$D/models/long" --log-every 0 > "$D/train-draft.log" 2>&1
echo "draft $(du -k "$D/models/draft/model.safetensors" | cut -f1) KiB, target $(du -k "$D/models/long/model.safetensors" | cut -f1) KiB"
prompts=("Please write 1000 words on libraries." "Write 800 words about rivers." "Please write 1200 words on winter.")
for draft in draft capped; do
  for mode in greedy sampled; do
    drafted=0 accepted=0 generated=0
    for p in "${prompts[@]}"; do
      for seed in 1 2 3 4 5; do
        if [[ $mode == greedy ]]; then
          [[ $seed -gt 1 ]] && continue
          s=(--temperature 0)
        else
          s=(--temperature 0.8 --seed "$seed")
        fi
        log=$("$LW" --log-level info generate --model "$D/models/long" --draft-model "$D/models/$draft" \
          --format chatml --chat "$p" --max-new-tokens 1500 "${s[@]}" 2>&1 > /dev/null)
        drafted=$((drafted + $(grep -o '[0-9]* drafted' <<< "$log" | awk '{print $1}')))
        accepted=$((accepted + $(grep -o '[0-9]* accepted' <<< "$log" | awk '{print $1}')))
        generated=$((generated + $(grep -o 'generated [0-9]*' <<< "$log" | awk '{print $2}')))
      done
    done
    printf '%-7s %-8s generated %5d  drafted %5d  accepted %5d  acceptance %5.1f %%\n' "$draft" "$mode" \
      "$generated" "$drafted" "$accepted" "$(echo "100 * $accepted / $drafted" | bc -l)"
  done
done
