#!/usr/bin/env bash
# Checks that the official OpenAI Node SDK reads `longwriter serve`'s prefix-cache usage:
# installs the `openai` npm package into a temporary folder (needs the npm registry), starts
# `longwriter serve` on a model (default: a random 152M bf16 GGUF made with lw_make_model), sends
# a prompt and then one that extends it, non-stream and stream (include_usage), and prints
# usage.prompt_tokens_details.cached_tokens as the SDK returns it. Exit status 0 when the SDK saw
# cached tokens on the extending requests. Not part of the test suite (which has no network); the
# suite checks the same JSON shape (tests/serve/test_prefix_serve.cpp).
#
# Usage: scripts/check_openai_sdk.sh [--build DIR] [--model FILE.gguf]
set -euo pipefail
source "$(dirname "$0")/serve_check_common.sh"
serve_check_setup "$@"
serve_check_model 152m bf16 llama152m-bf16.gguf
(cd "$WORK" && npm init -y > /dev/null && npm install --no-audit --no-fund openai > npm.log 2>&1) ||
  { echo "npm install openai failed (see $WORK/npm.log)" >&2; cat "$WORK/npm.log" >&2; exit 1; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BUILD/longwriter" serve --model "$MODEL" --format llama3-longwriter --port "$PORT" --threads 2 --parallel 2 \
  --max-context 2048 > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/health" > /dev/null && break; sleep 0.2; done
cat > "$WORK/check.mjs" <<JS
import OpenAI from 'openai';
const client = new OpenAI({ baseURL: 'http://127.0.0.1:$PORT/v1', apiKey: 'unused' });
const base = 'The lighthouse keeper counted the waves every night, and every morning wrote the count in a ' +
  'blue book. The books filled a shelf, then a wall, then the whole of the little room under the lamp, ' +
  'until the harbour master climbed the stairs one evening to ask what all the numbers meant. ';
const ask = (text, extra = {}) => client.chat.completions.create({
  model: 'm', messages: [{ role: 'user', content: text }], max_tokens: 4, temperature: 0, ...extra });
const first = await ask(base);
const second = await ask(base + 'One night the count did not add up.');
let streamed = null;
const stream = await ask(base + 'One night the count did not add up. He counted again.',
                         { stream: true, stream_options: { include_usage: true } });
for await (const chunk of stream) if (chunk.usage) streamed = chunk.usage;
const c = (u) => u?.prompt_tokens_details?.cached_tokens;
console.log('openai SDK', (await import('openai/version.mjs')).VERSION);
console.log('first  request: prompt_tokens', first.usage.prompt_tokens, 'cached_tokens', c(first.usage));
console.log('second request: prompt_tokens', second.usage.prompt_tokens, 'cached_tokens', c(second.usage));
console.log('stream request: prompt_tokens', streamed?.prompt_tokens, 'cached_tokens', c(streamed));
process.exit(c(second.usage) > 0 && c(streamed) > 0 ? 0 : 1);
JS
(cd "$WORK" && node check.mjs)
echo "health: $(curl -s "http://127.0.0.1:$PORT/health")"
