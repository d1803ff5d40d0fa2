#!/usr/bin/env bash
# Checks `longwriter serve`'s Ollama API with Ollama's official JavaScript client (the `ollama` npm
# package): installs it into the git-ignored .node/ folder of the checkout (needs the npm registry
# once), starts `serve` on a tiny random model (lw_make_model, or --model FILE) on 127.0.0.1 and a
# free port, then through the client: chat (stream: false), generate, a streamed chat (NDJSON,
# whose pieces must join into the same greedy text), list (GET /api/tags) and show. Prints what the
# client got; exit status 0 when every check held. Not part of the test suite (which has no
# network); tests/serve/test_ollama_api.cpp checks the same JSON.
#
# Usage: scripts/check_ollama_client.sh [--build DIR] [--model FILE.gguf]
set -euo pipefail
source "$(dirname "$0")/serve_check_common.sh"
serve_check_setup "$@"
serve_check_model tiny-gpt2 f32 tiny.gguf 0.5
NODE_DIR=$ROOT/.node
if [[ ! -d $NODE_DIR/node_modules/ollama ]]; then
  npm install --prefix "$NODE_DIR" --no-audit --no-fund ollama > "$WORK/npm.log" 2>&1 ||
    { echo "npm install ollama failed:" >&2; cat "$WORK/npm.log" >&2; exit 1; }
fi

"$BUILD/longwriter" serve --model "$MODEL" --name tiny --format llama3-longwriter --port 0 --threads 1 --parallel 2 \
  > "$WORK/serve.out" 2> "$WORK/serve.log" &
SERVER=$!
serve_check_wait_port

# The script lives next to node_modules so that `import 'ollama'` resolves.
cat > "$NODE_DIR/check_ollama.mjs" <<'JS'
import { Ollama } from 'ollama';
import { readFileSync } from 'node:fs';
const host = process.argv[2];
const ollama = new Ollama({ host });
const version = JSON.parse(readFileSync(new URL('./node_modules/ollama/package.json', import.meta.url))).version;
console.log(`ollama JS client ${version} -> ${host}`);
let failed = 0;
const check = (what, ok, got) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}: ${JSON.stringify(got)}`);
  if (!ok) failed++;
};
const options = { temperature: 0, num_predict: 6 };
const messages = [{ role: 'user', content: 'Tell me about the sea.' }];

const chat = await ollama.chat({ model: 'tiny', messages, stream: false, options });
check('chat: message', chat.message.role === 'assistant' && chat.message.content.length > 0, chat.message);
check('chat: done, done_reason, eval_count', chat.done === true && chat.done_reason === 'length' && chat.eval_count === 6,
  { done: chat.done, done_reason: chat.done_reason, eval_count: chat.eval_count,
    prompt_eval_count: chat.prompt_eval_count, total_duration: chat.total_duration });

let pieces = 0, joined = '', last = null;
for await (const part of await ollama.chat({ model: 'tiny', messages, stream: true, options })) {
  if (!part.done) { pieces++; joined += part.message.content; } else last = part;
}
check('streamed chat: pieces join into the same text', joined === chat.message.content, { pieces, joined });
check('streamed chat: final object', last?.done === true && last?.eval_count === 6 && last?.eval_duration > 0,
  { done_reason: last?.done_reason, eval_count: last?.eval_count, eval_duration: last?.eval_duration });

const gen = await ollama.generate({ model: 'tiny', prompt: 'Once upon a time', system: 'Be brief.', options });
check('generate: response', typeof gen.response === 'string' && gen.response.length > 0 && gen.eval_count === 6,
  { response: gen.response, eval_count: gen.eval_count, done_reason: gen.done_reason });

const list = await ollama.list();
const m = list.models[0];
check('list: the served model', list.models.length === 1 && m.name === 'tiny' && m.size > 0 && m.details.family === 'llama',
  { name: m?.name, size: m?.size, modified_at: m?.modified_at, details: m?.details });

const show = await ollama.show({ model: 'tiny' });
check('show: details and context length', show.details.format === 'gguf' && show.model_info['llama.context_length'] > 0,
  { template: show.template, parameter_size: show.details.parameter_size,
    quantization_level: show.details.quantization_level, context_length: show.model_info['llama.context_length'] });

try {
  await ollama.show({ model: 'not-here' });
  check('show of another model: an error', false, 'no error');
} catch (e) {
  check('show of another model: an error', e.status_code === 404, { status_code: e.status_code, error: e.error });
}
console.log(failed ? `${failed} check(s) failed` : 'all checks passed');
process.exit(failed ? 1 : 0);
JS
node "$NODE_DIR/check_ollama.mjs" "http://127.0.0.1:$PORT"
