#!/usr/bin/env bash
# WritingBench end to end on a local model, no network: `longwriter serve` on a tiny random model
# (lw_make_model, or --model FILE), `bench writingbench predict` on the committed sample
# (tests/fixtures/writingbench/) against it, `bench writingbench judge` with a critic, and
# `bench writingbench score` writing DIR/writingbench.json, .md and .html.
#
# The critic: a tiny random model cannot write the {"score", "reason"} JSON a critic must, so the
# script first lets the served model try on two responses (--attempts 1; every criterion fails, as
# expected, and the count is printed), then judges everything with scripts/scripted_critic.py, an
# OpenAI-compatible server whose scores (3..9) come from a hash of the prompt: the figures test the
# pipeline and the report, not the model. --critic-url URL --critic-model NAME uses a real critic
# (an OpenAI-compatible /v1 URL) instead. --screenshot PNG renders the HTML report with
# scripts/check_report_browser.sh (headless Chromium).
#
# Usage: scripts/writingbench_e2e.sh [--out DIR (default build/writingbench-e2e)] [--build DIR] [--model FILE.gguf]
#                                    [--critic-url URL --critic-model NAME] [--screenshot PNG]
set -euo pipefail
OUT=
CRITIC_URL=
CRITIC_MODEL=scripted
SHOT=
PASS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --out) OUT=$2; shift 2 ;;
    --critic-url) CRITIC_URL=$2; shift 2 ;;
    --critic-model) CRITIC_MODEL=$2; shift 2 ;;
    --screenshot) SHOT=$2; shift 2 ;;
    *) PASS+=("$1"); shift ;;
  esac
done
source "$(dirname "$0")/serve_check_common.sh"
serve_check_setup "${PASS[@]}"
serve_check_model tiny-gpt2 f32 tiny.gguf 0.5
OUT=${OUT:-$BUILD/writingbench-e2e}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -f "$OUT"/wb_pred.jsonl "$OUT"/wb_scores.jsonl "$OUT"/wb_scores_tiny.jsonl
CRITIC=
trap '[[ -n $SERVER ]] && kill $SERVER 2> /dev/null; [[ -n $CRITIC ]] && kill $CRITIC 2> /dev/null; rm -rf "$WORK"' EXIT
cd "$ROOT"  # the report names its inputs as given: relative paths read better
F=tests/fixtures/writingbench
LW=$BUILD/longwriter

"$LW" serve --model "$MODEL" --name tiny-random --format llama3-longwriter --port 0 --threads 1 --parallel 2 \
  > "$WORK/serve.out" 2> "$WORK/serve.log" &
SERVER=$!
serve_check_wait_port
URL=http://127.0.0.1:$PORT
echo "== serve: $(cat "$WORK/serve.out")"

echo "== 1. bench writingbench predict (the tiny model through serve's OpenAI API)"
"$LW" bench writingbench predict --data "$F/queries.jsonl" --out "$OUT/wb_pred.jsonl" --base-url "$URL/v1" \
  --model tiny-random --max-tokens 120 --seed 1 --concurrency 2 --retries 0

echo "== 2a. bench writingbench judge, critic = the tiny model itself (2 responses, 1 attempt each)"
"$LW" bench writingbench judge --data "$F/queries.jsonl" --pred "$OUT/wb_pred.jsonl" \
  --out "$OUT/wb_scores_tiny.jsonl" --judge-base-url "$URL/v1" --judge-model tiny-random --attempts 1 \
  --max-tokens 48 --limit 2 --concurrency 2 --judge-retries 0 || true
echo "   lines: $(wc -l < "$OUT/wb_scores_tiny.jsonl" 2> /dev/null || echo 0)," \
  "judge_error lines: $(grep -c '"judge_error"' "$OUT/wb_scores_tiny.jsonl" 2> /dev/null || echo 0)"

if [[ -z $CRITIC_URL ]]; then
  python3 "$ROOT/scripts/scripted_critic.py" > "$WORK/critic.port" &
  CRITIC=$!
  for _ in $(seq 1 100); do [[ -s $WORK/critic.port ]] && break; sleep 0.1; done
  CRITIC_URL=http://127.0.0.1:$(cat "$WORK/critic.port")/v1
fi
echo "== 2b. bench writingbench judge, critic = $CRITIC_MODEL at $CRITIC_URL"
"$LW" bench writingbench judge --data "$F/queries.jsonl" --pred "$OUT/wb_pred.jsonl" --out "$OUT/wb_scores.jsonl" \
  --judge-base-url "$CRITIC_URL" --judge-model "$CRITIC_MODEL" --concurrency 4 --judge-retries 1

echo "== 3. bench writingbench score"
"$LW" bench writingbench score --judge "$OUT/wb_scores.jsonl" --data "$F/queries.jsonl" \
  --requirements "$F/requirement" --out "$OUT" --name tiny-random
ls "$OUT"
if [[ -n $SHOT ]]; then
  echo "== screenshot"
  "$ROOT/scripts/check_report_browser.sh" "$OUT/writingbench.html" "$SHOT"
fi
