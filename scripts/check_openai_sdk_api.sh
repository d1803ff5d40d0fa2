#!/usr/bin/env bash
# Checks the API surface of issue 27 with the official OpenAI Node SDK: installs the `openai` npm
# package into .openai-sdk/ at the repository root (git-ignored; needs the npm registry once),
# starts `longwriter serve` on a model (default: the random tiny-gpt2 GGUF made with lw_make_model)
# and sends, through the SDK: a chat completion with logprobs and top_logprobs and the sampler
# fields (repetition_penalty, frequency_penalty, min_p, DRY, logit_bias), a plain completion
# (/v1/completions) non-stream and stream with legacy logprobs, and a json_schema reply that must
# parse and carry the required keys. Exit status 0 when every check holds. Not part of the test
# suite (which has no network); the suite checks the same JSON (tests/serve/test_serve_engine.cpp,
# test_sampling_api.cpp, test_json_replies.cpp).
#
# Usage: scripts/check_openai_sdk_api.sh [--build DIR] [--model FILE.gguf]
set -euo pipefail
source "$(dirname "$0")/serve_check_common.sh"
serve_check_setup "$@"
serve_check_model tiny-gpt2 f32 tiny-gpt2.gguf 0.5
SDK=$ROOT/.openai-sdk
if [[ ! -d $SDK/node_modules/openai ]]; then
  mkdir -p "$SDK"
  echo '{"name": "lw-openai-sdk-check", "private": true}' > "$SDK/package.json"
  (cd "$SDK" && npm install --no-audit --no-fund openai > npm.log 2>&1) ||
    { echo "npm install openai failed (see $SDK/npm.log)" >&2; cat "$SDK/npm.log" >&2; exit 1; }
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BUILD/longwriter" serve --model "$MODEL" --format llama3-longwriter --port "$PORT" --threads 2 --parallel 2 \
  --max-context 512 > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/health" > /dev/null && break; sleep 0.2; done
cat > "$SDK/check_api.mjs" <<JS
import OpenAI from 'openai';
const client = new OpenAI({ baseURL: 'http://127.0.0.1:$PORT/v1', apiKey: 'unused' });
let failed = 0;
const check = (ok, what) => { console.log((ok ? 'ok   ' : 'FAIL ') + what); if (!ok) failed++; };
console.log('openai SDK', (await import('openai/version.mjs')).VERSION);

const chat = await client.chat.completions.create({
  model: 'm', messages: [{ role: 'user', content: 'Tell me about rivers' }], max_tokens: 8, temperature: 0,
  logprobs: true, top_logprobs: 3, repetition_penalty: 1.2, frequency_penalty: 0.5, min_p: 0.05,
  dry_multiplier: 0.8, logit_bias: { '13': -100 } });
const lp = chat.choices[0].logprobs?.content ?? [];
check(lp.length > 0 && lp.every((t) => t.logprob <= 0 && t.top_logprobs.length === 3 && Array.isArray(t.bytes)),
      'chat logprobs: ' + lp.length + ' tokens with 3 alternatives each');
check(lp.every((t) => t.top_logprobs[0].token === t.token), 'chat logprobs: greedy picks the top token');

const plain = await client.completions.create({ model: 'm', prompt: 'Once upon a time', max_tokens: 6,
                                                temperature: 0, logprobs: 2 });
check(plain.object === 'text_completion' && plain.choices[0].logprobs.tokens.length === 6,
      'completions: text_completion with 6 legacy logprobs');
let streamed = '';
const stream = await client.completions.create({ model: 'm', prompt: 'Once upon a time', max_tokens: 6,
                                                 temperature: 0, stream: true });
for await (const chunk of stream) streamed += chunk.choices[0]?.text ?? '';
check(streamed === plain.choices[0].text, 'completions: the stream adds up to the whole reply');

const schema = { type: 'object', properties: { title: { type: 'string' }, year: { type: 'integer' },
                 tags: { type: 'array', items: { type: 'string' } } }, required: ['title', 'year'] };
const json = await client.chat.completions.create({
  model: 'm', messages: [{ role: 'user', content: 'A book as JSON' }], max_tokens: 60, temperature: 1, seed: 3,
  response_format: { type: 'json_schema', json_schema: { name: 'book', schema } } });
let parsed = null;
try { parsed = JSON.parse(json.choices[0].message.content); } catch (e) { }
check(parsed !== null && typeof parsed.title === 'string' && Number.isInteger(parsed.year),
      'json_schema reply parses: ' + json.choices[0].message.content);

let refused = false;
try { await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }], min_p: 2 }); }
catch (e) { refused = e.status === 400 && String(e.message).includes('min_p'); }
check(refused, 'an out-of-range min_p is refused with 400 naming the field');
process.exit(failed ? 1 : 0);
JS
(cd "$SDK" && node check_api.mjs)
