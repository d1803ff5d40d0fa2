// The writing desk in a real browser: Debian's headless chromium, driven by puppeteer-core, against
// `longwriter serve` whose AgentWrite jobs go to a scripted OpenAI-compatible upstream
// (scripted_upstream.mjs: it plans and writes by rule, so what the desk asked for can be checked).
//
//   node tests/browser/desk_test.mjs BUILD/longwriter
//
// Exit 0: passed; 1: failed (the reason on stderr); 77: skipped (puppeteer-core, axe-core or
// chromium missing; the message names the fix). LW_DESK_SCREENSHOTS=DIR writes desk-1280.png and
// desk-390.png there (docs/ for the README).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { check, cleanUp, deskHelpers, getJson, loadDriver, log, openDesk, reportFailure,
  startServe as startServeWith, stopServe } from './desk_harness.mjs';
import { startScriptedUpstream } from './scripted_upstream.mjs';

const binary = process.argv[2];
if (!binary || !fs.existsSync(binary)) {
  console.error('usage: node desk_test.mjs PATH/TO/longwriter');
  process.exit(1);
}
const driver = loadDriver();
const { axeSource } = driver;

const problems = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-desk-'));
const jobsDir = path.join(tmp, 'jobs');
const downloads = path.join(tmp, 'downloads');
fs.mkdirSync(downloads);

const startServe = (upstreamUrl, port) => startServeWith(binary,
  ['--upstream-url', upstreamUrl, '--upstream-model', 'scripted', '--jobs-dir', jobsDir], port);

let browser, page, serve, upstream;
try {
  upstream = await startScriptedUpstream();
  process.env.SCRIPTED_DELAY_MS = process.env.SCRIPTED_DELAY_MS || '40';
  serve = await startServe(upstream.url, 0);
  const { base, port } = serve;
  log(`serve on ${base}, upstream ${upstream.url}`);

  const pageBytes = (await (await fetch(base + '/')).arrayBuffer()).byteLength;
  check(pageBytes > 1000 && pageBytes < 100 * 1024, `the page is ${pageBytes} bytes (expected under 100 KB)`);

  ({ browser, page } = await openDesk(driver, base, path.join(tmp, 'profile'), downloads, problems));
  const { text, waitText, tabTo, replaceFocused, axeRun, checkDownload, startFromInstruction } = deskHelpers(page);

  // 1. Plan, with the keyboard only.
  await startFromInstruction(base, 'Write a 150-word essay about writing desks, in four short parts.', 150);
  await page.waitForSelector('#plan-words-4:not([disabled])', { timeout: 20000 });
  check(await text('#job-status') === 'planned', 'the plan-only job did not stop at the plan');
  log('plan shown');
  await tabTo('plan-words-2');
  await replaceFocused('24');
  check(await text('#plan-total') === String(36 * 3 + 24), 'the plan total did not follow the edit');
  // The editable plan passes axe-core too (the rows' move and delete buttons are shown now).
  await page.addScriptTag({ content: axeSource });
  const vPlan = await axeRun();
  check(vPlan.length === 0, `axe-core (editable plan): ${vPlan.join('; ')}`);
  if (process.env.LW_DESK_PLAN_SHOT) {  // a look at the plan editor on a phone
    await page.setViewport({ width: 390, height: 844 });
    await page.screenshot({ path: process.env.LW_DESK_PLAN_SHOT, fullPage: true });
    await page.setViewport({ width: 1280, height: 900 });
  }
  await tabTo('write-btn');
  await page.keyboard.press('Enter');
  const id = await text('#job-id');

  // 2. Write; stop after the second paragraph.
  await waitText('#para-2 .words', /of 24 words/);
  const before = await getJson(base, `/v1/write/${id}`);
  check(before.plan[1].words === 24, 'the edited word count did not reach the job');
  await page.click('#stop');
  await waitText('#job-status', /cancelled/);
  const stopped = await getJson(base, `/v1/write/${id}`);
  const doneAtStop = stopped.paragraphs.filter((p) => p.done).length;
  check(doneAtStop >= 2 && doneAtStop < 4, `${doneAtStop} paragraphs done when stopped (expected 2 or 3)`);
  log(`stopped with ${doneAtStop} paragraphs`);

  // 3. Restart the server (killed), reload, resume: finished paragraphs are not asked for again.
  await page.goto('about:blank');
  await stopServe(serve);
  serve = await startServe(upstream.url, port);
  await page.goto(base + '/', { waitUntil: 'networkidle0' });
  await waitText('#job-status', /cancelled/);
  await page.click('#resume');
  await waitText('#job-status', /^done$/, 30000);
  for (let k = 1; k <= 4; ++k) {
    const w = await text(`#para-${k} .words`);
    check(/^\d+ of \d+ words$/.test(w), `paragraph ${k} shows "${w}" instead of its word count`);
    check((await text(`#para-${k} .body`)).length > 20, `paragraph ${k} has no text`);
  }
  for (let k = 1; k <= doneAtStop; ++k)
    check(upstream.stats.paragraph[k] === 1, `paragraph ${k} was requested ${upstream.stats.paragraph[k]} times`);
  log(`resumed after a restart; requests per paragraph ${JSON.stringify(upstream.stats.paragraph)}`);

  // 4. Regenerate paragraph 2, keeping the ones after it.
  const p3 = await text('#para-3 .body');
  const asked3 = upstream.stats.paragraph[3];
  await page.click('#regen-2');
  await waitText('#para-2 .body', /draft 2/);
  await waitText('#job-status', /^done$/);
  check(await text('#para-3 .body') === p3 && upstream.stats.paragraph[3] === asked3,
    'paragraph 3 changed although the following paragraphs were to be kept');

  // 5. Download the Markdown and compare it with the job's stored text.
  await checkDownload(base, id, downloads);
  log('downloaded Markdown matches GET /v1/write/{id}');

  // 6. Accessibility (write mode with the job open), then screenshots.
  await page.addScriptTag({ content: axeSource });
  const v1 = await axeRun();
  check(v1.length === 0, `axe-core (write mode): ${v1.join('; ')}`);
  const shots = process.env.LW_DESK_SCREENSHOTS || tmp;
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
  const vDark = await axeRun();
  check(vDark.length === 0, `axe-core (write mode, dark): ${vDark.join('; ')}`);
  if (process.env.LW_DESK_DARK_SHOT) await page.screenshot({ path: process.env.LW_DESK_DARK_SHOT, fullPage: true });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  await page.screenshot({ path: path.join(shots, 'desk-1280.png'), fullPage: true });
  await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 1 });
  await page.screenshot({ path: path.join(shots, 'desk-390.png'), fullPage: true });
  await page.setViewport({ width: 1280, height: 900 });

  // 7. Chat mode streams a reply.
  await page.click('#mode-chat');
  await page.type('#prompt', 'Hello');
  await page.click('#send');
  await page.waitForFunction(() => {
    const m = document.querySelectorAll('#messages .msg span');
    return m.length === 2 && m[1].textContent.length > 0 && !m[1].parentElement.hasAttribute('aria-busy');
  }, { timeout: 20000 });
  const reply = await page.$$eval('#messages .msg span', (s) => s[1].textContent);
  check(reply === 'Hello from the scripted model, streaming one word at a time.', `chat reply: "${reply}"`);
  const v2 = await axeRun();
  check(v2.length === 0, `axe-core (chat mode): ${v2.join('; ')}`);
  log('chat streamed a reply');

  // 8. A kill -9 in the middle of a paragraph: the next start resumes the job by itself.
  await page.goto('about:blank');
  const made = await (await fetch(serve.base + '/v1/write', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ instruction: 'Write a 150-word note on lamps.' }) })).json();
  const asked = () => Object.values(upstream.stats.paragraph).reduce((a, b) => a + b, 0);
  const askedBefore = asked();
  let mid;
  for (let i = 0; i < 400; ++i) {
    mid = await getJson(serve.base, `/v1/write/${made.id}`);
    if (mid.paragraphs.length && mid.paragraphs[0].done && mid.paragraphs[1].text) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  check(mid.paragraphs[0].done && !mid.paragraphs[1].done, 'the second job did not reach its second paragraph');
  await stopServe(serve);
  serve = await startServe(upstream.url, port);
  let after;
  for (let i = 0; i < 400; ++i) {
    after = await getJson(serve.base, `/v1/write/${made.id}`);
    if (after.status === 'done') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  check(after.status === 'done', `after a kill -9 and a restart the job is ${after.status}`);
  check(after.paragraphs[0].text === mid.paragraphs[0].text, 'paragraph 1 changed across the restart');
  check(asked() - askedBefore === 5, `${asked() - askedBefore} paragraph requests for 4 paragraphs (one cut by the kill)`);
  log('resumed by itself after a kill -9');

  check(problems.length === 0, problems.join('\n'));
  log('passed');
} catch (e) {
  reportFailure(e, problems, serve);
} finally {
  if (upstream) upstream.server.close();
  await cleanUp(browser, serve, tmp);
}
process.exit(process.exitCode || 0);
