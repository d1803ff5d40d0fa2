// What the writing desk's browser tests share (desk_test.mjs against a scripted upstream,
// desk_model_test.mjs against the miniature's trained model): the skip rule (exit code 77), starting
// and killing `longwriter serve`, and a headless chromium page that fails on requests to other
// hosts and on console errors, with keyboard and axe-core helpers.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const t0 = Date.now();

export function skip(why) {
  console.log(`SKIPPED: ${why}`);
  process.exit(77);
}
export function check(cond, what) {
  if (!cond) throw new Error(what);
}
export const log = (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${m}`);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// puppeteer-core, axe-core's source and the chromium path, or a skip naming the fix.
export function loadDriver() {
  const modules = process.env.LW_NODE_MODULES || path.join(here, '../../.node/browser/node_modules');
  const chromium = process.env.LW_CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(chromium)) skip(`${chromium} is missing: run scripts/setup.sh (installs Debian's chromium)`);
  try {
    const require = createRequire(path.join(modules, 'x.js'));
    const puppeteer = require('puppeteer-core');
    const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    return { puppeteer, axeSource, chromium };
  } catch {
    skip(`puppeteer-core and axe-core are not in ${modules}: run scripts/setup.sh with access to the npm registry ` +
         '(it runs npm ci in .node/browser from tests/browser/package-lock.json)');
  }
}

// `BINARY serve ARGS --port PORT` until it prints the desk's address.
export function startServe(binary, args, port) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['serve', ...args, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/writing desk: (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) resolve({ child, base: m[1], port: Number(m[1].split(':')[2]), stderr: () => err });
    });
    child.on('exit', (code) => reject(new Error(`serve exited (${code}) before listening: ${err}`)));
  });
}
export function stopServe(s) {
  return new Promise((resolve) => {
    s.child.removeAllListeners('exit');
    s.child.on('exit', () => resolve());
    s.child.kill('SIGKILL');  // as a crash: the job folder must be enough to go on
  });
}
export async function getJson(base, p) {
  const r = await fetch(base + p);
  return r.json();
}

// A headless chromium page on the desk at BASE: requests to any other host are aborted and, like
// console errors, pushed to `problems`; downloads go to DOWNLOADS.
export async function openDesk({ puppeteer, chromium }, base, profileDir, downloads, problems) {
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    userDataDir: profileDir,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const origin = new URL(base).host;
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (u.protocol === 'data:' || u.protocol === 'blob:' || u.host === origin) return req.continue();
    problems.push(`a request to another host: ${req.url()}`);
    return req.abort();
  });
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  const cdp = await page.createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
  return { browser, page };
}

// A failed run: the reason, the problems seen and serve's stderr on stderr; exit code 1.
export function reportFailure(e, problems, serve) {
  console.error(`FAILED: ${e.message}`);
  if (problems.length) console.error(problems.join('\n'));
  if (serve) console.error(`serve's stderr:\n${serve.stderr()}`);
  process.exitCode = 1;
}

// The end of a run, passed or not: closes the browser, kills serve, removes the temporary folder.
export async function cleanUp(browser, serve, tmp) {
  if (browser) await browser.close().catch(() => {});
  if (serve) serve.child.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
}

// Keyboard, text and axe-core helpers on a desk page.
export function deskHelpers(page) {
  const text = (sel) => page.$eval(sel, (e) => e.textContent);
  const waitText = (sel, re, timeout = 20000) => page.waitForFunction(
    (s, src) => { const e = document.querySelector(s); return e && new RegExp(src).test(e.textContent); },
    { timeout }, sel, re.source);
  // Tab until the element has the focus (keyboard-only use).
  async function tabTo(id) {
    for (let i = 0; i < 60; ++i) {
      if (await page.evaluate(() => document.activeElement && document.activeElement.id) === id) return;
      await page.keyboard.press('Tab');
    }
    throw new Error(`#${id} cannot be reached with Tab`);
  }
  async function replaceFocused(value) {
    await page.keyboard.down('Control'); await page.keyboard.press('a'); await page.keyboard.up('Control');
    await page.keyboard.type(value);
  }
  const axeRun = () => page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  });
  // Clicks Download and compares the file with GET /v1/write/{id}'s text.
  async function checkDownload(base, id, downloads) {
    await page.click('#download');
    const file = path.join(downloads, `${id}.md`);
    for (let i = 0; i < 100 && !fs.existsSync(file); ++i) await sleep(100);
    check(fs.existsSync(file), 'the Markdown download did not arrive');
    const job = await getJson(base, `/v1/write/${id}`);
    check(fs.readFileSync(file, 'utf8') === job.text + '\n', 'the downloaded Markdown differs from the job\'s text');
    return job;
  }
  // Opens the desk, types INSTRUCTION (its target must be read from it) and presses Start, by keyboard.
  async function startFromInstruction(base, instruction, target) {
    await page.goto(base + '/', { waitUntil: 'networkidle0' });
    await tabTo('instruction');
    await page.keyboard.type(instruction);
    check(await page.$eval('#target', (e) => e.value) === String(target), 'the target was not read from the instruction');
    await tabTo('start');
    await page.keyboard.press('Enter');
  }
  return { text, waitText, tabTo, replaceFocused, axeRun, checkDownload, startFromInstruction };
}
