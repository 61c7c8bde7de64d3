// Time per training epoch in Node and in Chromium (issue 19): bert-mini-mlm, SST-2 train sentences,
// head only ('cls', the savable head: feature pass + one epoch over the cached features), LoRA r 8 and
// the last 2 layers (one epoch of forward + backward + AdamW), at 1 and 2 threads. Chromium runs the
// package's worker (js/worker.js through createWorkerClient, as a page trains) in a cross-origin
// isolated page (bench/lib/server.mjs: COOP/COEP), a fresh browser per job; Node runs the Trainer on
// its main thread, in a child process. Node and Chromium jobs alternate (interleaved), so load changes
// hit both. Scheduling: Playwright starts the browser in a session (scheduler autogroup) of its own;
// the Node child gets one too (detached), and both autogroups get the same nice (--nice, default 5),
// so neither side gets a bigger share of a shared machine than the other.
// The epoch time at N = 2,000 is the measured seconds per example × 2,000 when --n is smaller.
// Not a test. Writes --json (default bench/train_timing.json) and prints a Markdown table.
//
//   node bench/train_browser.mjs [--n 2000] [--threads 1,2] [--modes head,lora,last-2] [--rounds 1]

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import os from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { BertologyModel, shutdown } from '../js/index.js';
import { Trainer, parseSst2Tsv } from '../js/train/index.js';
import { startServer } from './lib/server.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = resolve(process.env.BERTOLOGY_SHARED ?? join(ROOT, '..', 'shared'));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const { values: a } = parseArgs({ options: {
  n: { type: 'string', default: '2000' }, threads: { type: 'string', default: '1,2' }, modes: { type: 'string', default: 'head,lora,last-2' },
  rounds: { type: 'string', default: '1' }, envs: { type: 'string', default: 'node,chromium' }, nice: { type: 'string', default: '5' },
  child: { type: 'string' },
  json: { type: 'string', default: join(ROOT, 'bench', 'train_timing.json') },
} });
const n = Number(a.n);
const labels = ['negative', 'positive'];
const examples = parseSst2Tsv(readFileSync(join(SHARED, 'data/sst2/train.tsv'), 'utf8')).slice(0, n)
  .map((e) => ({ text: e.text, label: labels[Number(e.label)] ?? e.label }));
const OPTIONS = /** @type {Record<string, any>} */ ({
  head: { labels, epochs: 1, batch_size: 32, seed: 42, optimizer: { lr: 1e-3 } },
  lora: { labels, train: { lora: { r: 8, alpha: 16 } }, epochs: 1, batch_size: 16, seed: 42, optimizer: { lr: 1e-3, warmup: 0.06 } },
  'last-2': { labels, train: { layers: 2 }, epochs: 1, batch_size: 16, seed: 42, optimizer: { lr: 3e-4, warmup: 0.06 } },
});
const log = (/** @type {string} */ s) => console.error(`[train-timing ${new Date().toISOString().slice(11, 19)}] ${s}`);

/** @param {string} mode @param {number} threads */
async function inNode(mode, threads) {
  const model = await BertologyModel.load(join(SHARED, 'models/bert-mini-mlm'), { threads });
  const trainer = await Trainer.create(model, OPTIONS[mode]);
  const t0 = performance.now();
  const fit = await trainer.fit(examples);
  const seconds = (performance.now() - t0) / 1000;
  const r = { seconds, feature_seconds: fit.feature_seconds, threads: model.runtime.threads, build: model.runtime.build };
  trainer.dispose();
  model.dispose();
  return r;
}

/** Gives the scheduler autogroup of `pid` (its own session) the benchmark's nice. @param {number} pid */
function niceAutogroup(pid) {
  try {
    if (fs.readFileSync(`/proc/${pid}/autogroup`, 'utf8') !== fs.readFileSync('/proc/self/autogroup', 'utf8')) {
      fs.writeFileSync(`/proc/${pid}/autogroup`, a.nice);
    }
  } catch { /* no autogroups here */ }
}

if (a.child) {  // the Node half of one job: --child mode:threads
  const [mode, threads] = a.child.split(':');
  process.stdout.write(`${JSON.stringify(await inNode(mode, Number(threads)))}\n`);
  await shutdown();
  process.exit(0);
}

/** @param {string} mode @param {number} threads */
function inNodeChild(mode, threads) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--n', String(n), '--child', `${mode}:${threads}`],
      { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    niceAutogroup(/** @type {number} */ (child.pid));
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('exit', (code) => (code === 0 ? resolvePromise(JSON.parse(out.trim().split('\n').at(-1) ?? '')) : reject(new Error(`node child ${mode} ${threads}: exit ${code}`))));
  });
}

const dataDir = mkdtempSync(join(tmpdir(), 'bertology-train-timing-'));
writeFileSync(join(dataDir, 'examples.json'), JSON.stringify(examples));
const server = await startServer({ root: ROOT, modelsDir: join(SHARED, 'models'),
  extra: { '/data/': dataDir, '/bench/train-browser/': join(ROOT, 'bench/train-browser') } });

/** @param {string} mode @param {number} threads */
async function inChromium(mode, threads) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'] });
  try {
    const cdp = await browser.newBrowserCDPSession();
    const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
    const main = processInfo.find((/** @type {any} */ p) => p.type === 'browser');
    if (main) niceAutogroup(main.id);
    const page = await browser.newPage();
    const job = { threads, options: OPTIONS[mode] };
    await page.goto(`${server.url}/bench/train-browser/page.html?job=${encodeURIComponent(JSON.stringify(job))}`);
    await page.waitForFunction(() => /** @type {any} */ (window).__trainResult !== undefined, null, { timeout: 3_600_000, polling: 1000 });
    const r = await page.evaluate(() => /** @type {any} */ (window).__trainResult);
    if (r.error) throw new Error(`chromium ${mode} ${threads}T: ${r.error}`);
    return { ...r, threads: r.runtime?.threads, build: r.runtime?.build, browser: browser.version() };
  } finally {
    await browser.close();
  }
}

const rows = [];
const started = new Date();
try {
  for (let round = 0; round < Number(a.rounds); round++) {
    for (const threads of a.threads.split(',').map(Number)) {
      for (const mode of a.modes.split(',')) {
        for (const env of a.envs.split(',')) {
          const r = env === 'node' ? await inNodeChild(mode, threads) : await inChromium(mode, threads);
          const perExample = r.seconds / n;
          const row = { env, mode, threads: r.threads, requested_threads: threads, n, round, seconds: r.seconds, feature_seconds: r.feature_seconds,
            epoch_seconds_at_2000: perExample * 2000, build: r.build, isolated: r.isolated, load: os.loadavg()[0], browser: r.browser };
          rows.push(row);
          log(`${env} ${mode} ${threads}T: ${r.seconds.toFixed(1)} s for ${n} examples (features ${Number(r.feature_seconds ?? 0).toFixed(1)} s) → ${row.epoch_seconds_at_2000.toFixed(0)} s per 2,000; load ${row.load.toFixed(1)}`);
        }
      }
    }
  }
} finally {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
  await shutdown();
}
const meta = { date: started.toISOString(), node: process.version, cpus: `${os.cpus()[0]?.model ?? '?'} × ${os.cpus().length}`, shared_machine: true,
  load_average_end: os.loadavg().map((x) => Number(x.toFixed(1))), n };
writeFileSync(a.json, `${JSON.stringify({ meta, rows }, null, 2)}\n`);
const med = (/** @type {number[]} */ xs) => { const s = [...xs].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
console.log('| mode | threads | Node: s per epoch (N = 2,000) | Chromium worker: s per epoch | Chromium / Node |');
console.log('|---|---:|---:|---:|---:|');
for (const mode of a.modes.split(',')) {
  for (const threads of a.threads.split(',').map(Number)) {
    const pick = (/** @type {string} */ env) => med(rows.filter((r) => r.env === env && r.mode === mode && r.requested_threads === threads).map((r) => r.epoch_seconds_at_2000));
    const nd = pick('node');
    const ch = pick('chromium');
    console.log(`| ${mode} | ${threads} | ${nd.toFixed(1)} | ${ch.toFixed(1)} | ${(ch / nd).toFixed(2)} |`);
  }
}
