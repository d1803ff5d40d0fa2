// A scripted OpenAI-compatible server for the writing desk test: it plans and writes by rule
// instead of by a model, so the test can check what the desk asked for (no paragraph twice) and
// stream slowly enough to stop in the middle. Node's standard library only.
//
//   plan prompt ("Divide the piece into paragraphs")   -> PARAGRAPHS plan lines of WORDS words each
//   write prompt ("Now write the next part: Paragraph N") -> that paragraph, streamed word by word
//   anything else (chat)                                 -> a short streamed reply
//   GET /stats                                           -> {"plan": n, "paragraph": {"N": count}, "chat": n}
import http from 'node:http';

const PARAGRAPHS = 4;
const WORDS = 36;
const delayMs = () => Number(process.env.SCRIPTED_DELAY_MS || 40);
const stats = { plan: 0, paragraph: {}, chat: 0 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function paragraphText(n, draft) {
  const words = [];
  for (let i = 0; words.length < WORDS; ++i) {
    const sentence = `Part ${n} draft ${draft} keeps sentence ${i + 1} short and clear.`.split(' ');
    words.push(...sentence);
  }
  let text = words.slice(0, WORDS).join(' ');
  if (!text.endsWith('.')) text += '.';
  return text;
}

function reply(content) {
  if (content.includes('Divide the piece into paragraphs')) {
    stats.plan += 1;
    const lines = [];
    for (let i = 1; i <= PARAGRAPHS; ++i)
      lines.push(`Paragraph ${i} - Main Point: Topic number ${i} of the essay - Word Count: ${WORDS} words`);
    return lines.join('\n');
  }
  const m = content.match(/Now write the next part: Paragraph (\d+) - Main Point/);
  if (m) {
    const n = m[1];
    stats.paragraph[n] = (stats.paragraph[n] || 0) + 1;
    return paragraphText(n, stats.paragraph[n]);
  }
  stats.chat += 1;
  return 'Hello from the scripted model, streaming one word at a time.';
}

async function complete(req, res, body) {
  const last = body.messages[body.messages.length - 1].content;
  const text = reply(typeof last === 'string' ? last : JSON.stringify(last));
  const pieces = text.split(/(?<= )/);
  const usage = { prompt_tokens: 100, completion_tokens: pieces.length, total_tokens: 100 + pieces.length,
                  prompt_tokens_details: { cached_tokens: 60 } };
  const base = { id: 'chatcmpl-scripted', object: 'chat.completion.chunk', created: 0, model: 'scripted' };
  if (!body.stream) {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ ...base, object: 'chat.completion', usage,
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }] }));
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  let gone = false;
  res.on('close', () => { gone = true; });
  const send = (o) => res.write(`data: ${JSON.stringify(o)}\n\n`);
  send({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
  for (const p of pieces) {
    if (gone) return;
    await sleep(delayMs());
    send({ ...base, choices: [{ index: 0, delta: { content: p }, finish_reason: null }] });
  }
  send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
  send({ ...base, choices: [], usage });
  res.end('data: [DONE]\n\n');
}

export function startScriptedUpstream() {
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => { data += c; });
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/stats') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(stats));
      } else if (req.method === 'GET' && req.url === '/v1/models') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'scripted', object: 'model' }] }));
      } else if (req.method === 'POST' && req.url === '/v1/chat/completions') {
        complete(req, res, JSON.parse(data)).catch(() => res.destroy());
      } else {
        res.writeHead(404);
        res.end();
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, stats,
    url: `http://127.0.0.1:${server.address().port}/v1` })));
}

// Run alone: node scripted_upstream.mjs (prints its URL).
if (import.meta.url === `file://${process.argv[1]}`) {
  startScriptedUpstream().then(({ url }) => console.log(url));
}
