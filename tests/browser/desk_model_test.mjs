// The writing desk in a real browser against `longwriter serve --model` with a trained model: the
// miniature's capped model that the demo's AgentWrite stage plans and writes with (left in
// BUILD/demo-quick-test/models/capped by the DemoQuick test; its tokenizer and chat format come with
// it), greedy, under the demo's own prompts ("Plan: $INST$" and the bare step line). With the
// keyboard: an instruction like the demo's, the plan rows, one row's word count edited, Write, every
// paragraph with its word count, the Markdown download against GET /v1/write/{id}; axe-core on the
// finished page.
//
//   node tests/browser/desk_model_test.mjs BUILD/longwriter BUILD/demo-quick-test/models/capped
//
// Exit 0: passed; 1: failed (the reason on stderr); 77: skipped (the demo's model, puppeteer-core,
// axe-core or chromium missing). LW_DESK_MODEL_SHOT=FILE writes a screenshot of the finished job.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { check, cleanUp, deskHelpers, getJson, loadDriver, log, openDesk, reportFailure, skip,
  startServe } from './desk_harness.mjs';

const [binary, model] = process.argv.slice(2);
if (!binary || !fs.existsSync(binary) || !model) {
  console.error('usage: node desk_model_test.mjs PATH/TO/longwriter MODEL_DIR');
  process.exit(1);
}
if (!fs.existsSync(path.join(model, 'model.safetensors')))
  skip(`${model} holds no trained model: run the DemoQuick test first (ctest -R DemoQuick)`);
const driver = loadDriver();

const problems = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lw-desk-model-'));
const downloads = path.join(tmp, 'downloads');
fs.mkdirSync(downloads);
// The prompts the miniature was trained on (src/demo/sft_sets.cpp).
fs.writeFileSync(path.join(tmp, 'plan.txt'), 'Plan: $INST$');
fs.writeFileSync(path.join(tmp, 'write.txt'), '$STEP$');

let browser, page, serve;
try {
  serve = await startServe(binary, ['--model', model, '--jobs-dir', path.join(tmp, 'jobs'),
    '--temperature', '0',
    '--plan-template', path.join(tmp, 'plan.txt'), '--write-template', path.join(tmp, 'write.txt')], 0);
  const { base } = serve;
  log(`serve --model ${model} on ${base}`);
  ({ browser, page } = await openDesk(driver, base, path.join(tmp, 'profile'), downloads, problems));
  const { text, waitText, tabTo, replaceFocused, axeRun, checkDownload, startFromInstruction } = deskHelpers(page);

  // 1. Plan: the miniature plans in steps of at most 100 words, counting down what is left.
  await startFromInstruction(base, 'Write a 300-word text about castles.', 300);
  await waitText('#job-status', /^planned$/, 20000);
  const rows = await page.$$eval('#plan [id^="plan-words-"]', (es) => es.length);
  check(rows >= 2, `the model's plan has ${rows} rows (expected several steps of at most 100 words)`);
  log(`plan shown: ${rows} rows, ${await text('#plan-total')} words`);
  await tabTo('plan-words-2');
  await replaceFocused('60');
  await tabTo('write-btn');
  await page.keyboard.press('Enter');
  const id = await text('#job-id');

  // 2. Write: every paragraph arrives with its word count against its budget.
  await waitText('#job-status', /^done$/, 30000);
  const job = await getJson(base, `/v1/write/${id}`);
  check(job.plan[1].words === 60, `the edited word count did not reach the job (${job.plan[1].words})`);
  check(job.paragraphs.length === rows && job.paragraphs.every((p) => p.done), 'not every paragraph is done');
  for (let k = 1; k <= rows; ++k) {
    const w = await text(`#para-${k} .words`);
    check(/^\d+ of \d+ words$/.test(w), `paragraph ${k} shows "${w}" instead of its word count`);
    check((await text(`#para-${k} .body`)).trim().split(/\s+/).length >= 5, `paragraph ${k} has no text`);
  }
  check(/^\d+ of 60 words$/.test(await text('#para-2 .words')), 'paragraph 2 is not counted against its edited budget');
  log(`written: ${job.paragraphs.map((p, k) => `${p.words ?? '?'}/${job.plan[k].words}`).join(', ')} words`);

  // 3. The Markdown download is the job's text.
  await checkDownload(base, id, downloads);
  log('downloaded Markdown matches GET /v1/write/{id}');

  // 4. Accessibility of the finished page; a screenshot for docs/.
  await page.addScriptTag({ content: driver.axeSource });
  const v = await axeRun();
  check(v.length === 0, `axe-core (finished job): ${v.join('; ')}`);
  if (process.env.LW_DESK_MODEL_SHOT) await page.screenshot({ path: process.env.LW_DESK_MODEL_SHOT, fullPage: true });

  check(problems.length === 0, problems.join('\n'));
  log('passed');
} catch (e) {
  reportFailure(e, problems, serve);
} finally {
  await cleanUp(browser, serve, tmp);
}
process.exit(process.exitCode || 0);
