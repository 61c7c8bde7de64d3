#!/usr/bin/env node
// `npm run bench:ttfr`: time to first result in Chromium — a benchmark, never a timed test.
//
// From navigation to the first sentiment result on the page, cold cache (a fresh browser profile per
// run), for bert-mini-sst2 as published (float16 shards) and its q8 conversion (`bertology convert
// --dtype q8`), against transformers.js 4.3.1 on the same weights (materialize_onnx.py: model.onnx,
// fp32, and model_quantized.onnx, int8), each app a minimal Vite production build:
//   ours              examples/vite, installed from the packed tarball (npm pack), `vite build`
//   transformers.js   bench/ttfr/transformers-app (its own package.json/lock; onnxruntime-web's wasm
//                     files served locally from /ort/, env.allowRemoteModels = false)
// Each app is served by a static server on 127.0.0.1 that behaves like a static host: gzip for
// text, JSON and wasm (what Chromium accepts over http; brotli needs https), models as stored
// (application/octet-stream, not compressed), hashed /assets/ cacheable, and COOP/COEP on the
// "threads" pages only. Pages: ours cross-origin isolated (threaded build) and not (single-threaded
// build); transformers.js isolated (onnxruntime-web's threads) and not. Networks: loopback, and
// Chromium's throttling (CDP Network.emulateNetworkConditions) at 20 Mbit/s down and up, 20 ms RTT.
// Rounds interleave every configuration; medians are reported. Bytes are counted by the server
// (encoded body + headers per response, Range responses included), by kind: JS, wasm, model, other;
// and as Chromium received them before the first result (CDP Network.dataReceived up to the result's
// time). The host answers Range requests as static hosts and Vite's servers do (one range: 206 with
// Content-Range, Accept-Ranges: bytes; sirv, which serves Vite's public/ files in dev and `vite
// preview`, does the same for uncompressed files), so our page fetches word-embedding rows it needs
// before the table has downloaded (js/sources/progressive.js).
//
// Controls (issue 14: is the threaded page's extra time the browser's or ours?): on the same hosts,
//   control           bench/ttfr/control, a page with one small module script: the time it is evaluated,
//                     isolated vs not — what Chromium spends on cross-origin isolation before any app script
//   ours, threads: 1  our app on the isolated page with `?threads=1` (examples/vite passes it to pipeline():
//                     the package's documented setting), i.e. the single-threaded build on the threaded
//                     page: threaded / single-threaded build with the browser's conditions equal
//
//   node bench/ttfr.mjs [--rounds N] [--networks loopback,20mbit] [--compression gzip|none]
//                       [--precisions fp16,q8] [--ours-dist DIR] [--no-build] [--out-dir DIR] [--report-only]
//                       [--phases]  (instead: where our page's time goes, threaded vs single-threaded)
//                       [--trace DIR]  (--phases: a Chrome trace of every run, DIR/<page>-<round>.json)
//                       [--tjs-wasm plain,asyncify]  (onnxruntime-web's wasm variants to run: asyncify
//                                                      is transformers.js's default, plain its fastest here)
//
// Writes bench/ttfr.json (every run), adds its rows (kind "ttfr") to bench/results.json and its
// table to bench/RESULTS.md (through bench/run.mjs --report-only, which includes bench/ttfr.md).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { controls, MB, median, MODEL, report, SINGLE_ON_ISOLATED, summarize } from './ttfr-report.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = path.resolve(ROOT, process.env.BERTOLOGY_SHARED ?? '../shared');
const PYTHON = '/usr/bin/python3';
const CHROMIUM = process.env.BERTOLOGY_CHROMIUM ?? '/usr/bin/chromium';
const TJS_APP = path.join(ROOT, 'bench', 'ttfr', 'transformers-app');
const NETWORKS = {
  loopback: null,
  '20mbit': { offline: false, latency: 20, downloadThroughput: 20e6 / 8, uploadThroughput: 20e6 / 8 },
};

const PRECISIONS = ['fp16', 'q8'];

function parseArgs(argv) {
  const o = { phases: false, precisions: PRECISIONS, trace: null, rounds: 3, networks: Object.keys(NETWORKS), compression: 'gzip', oursDist: null, build: true, tjsWasm: ['plain', 'asyncify'],
    outDir: path.join(ROOT, 'bench'), work: path.join(ROOT, 'bench', 'out', 'ttfr'), reportOnly: false, timeoutMs: 180_000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => argv[++i];
    if (a === '--rounds') o.rounds = Number(val());
    else if (a === '--networks') o.networks = val().split(',');
    else if (a === '--compression') o.compression = val();
    else if (a === '--ours-dist') {
      o.oursDistList = val();
      o.oursDist = path.resolve(o.oursDistList.split(',')[0].replace(/^[^=/]*=/, ''));
    }
    else if (a === '--no-build') o.build = false;
    else if (a === '--out-dir') o.outDir = path.resolve(val());
    else if (a === '--report-only') o.reportOnly = true;
    else if (a === '--phases') o.phases = true;
    else if (a === '--tjs-wasm') o.tjsWasm = val().split(',');
    else if (a === '--precisions') o.precisions = val().split(',');
    else if (a === '--trace') o.trace = path.resolve(val());
    else throw new Error(`unknown option ${a}`);
  }
  for (const n of o.networks) if (!(n in NETWORKS)) throw new Error(`unknown network ${n} (${Object.keys(NETWORKS).join(', ')})`);
  for (const p of o.precisions) if (!PRECISIONS.includes(p)) throw new Error(`unknown precision ${p} (${PRECISIONS.join(', ')})`);
  return o;
}

const run = (cmd, args, options = {}) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...options });

// ---------------------------------------------------------------------------------------------
// Inputs: the weights and the two apps.

/** Does the safetensors file end with its word-embedding table? */
function tableLast(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(8);
    fs.readSync(fd, head, 0, 8, 0);
    const json = Buffer.alloc(Number(head.readBigUInt64LE(0)));
    fs.readSync(fd, json, 0, json.length, 8);
    const tensors = Object.entries(JSON.parse(json.toString('utf8'))).filter(([name]) => name !== '__metadata__');
    const last = tensors.reduce((a, b) => (b[1].data_offsets[1] > a[1].data_offsets[1] ? b : a));
    return /word_embeddings\.weight$/.test(last[0]);
  } finally {
    fs.closeSync(fd);
  }
}

async function prepareModels(work) {
  const models = path.join(work, 'models');
  fs.mkdirSync(models, { recursive: true });
  const fp16 = path.join(SHARED, 'models', MODEL);
  const q8 = path.join(models, `${MODEL}-q8`);
  // converted again when missing or written before the converter stored the word-embedding table last
  if (!fs.existsSync(path.join(q8, 'model.safetensors')) || !tableLast(path.join(q8, 'model.safetensors'))) {
    const { convertModel } = await import('../js/index.js');
    const r = await convertModel(fp16, { dtype: 'q8', outDir: q8, overwrite: true, threads: 1 });
    console.log(`[ttfr] ${MODEL} → q8: ${(r.output_bytes / 1e6).toFixed(2)} MB`);
  }
  const tjs = path.join(models, 'transformers.js');
  if (!fs.existsSync(path.join(tjs, MODEL, 'onnx', 'model_quantized.onnx'))) {
    fs.rmSync(path.join(tjs, MODEL), { recursive: true, force: true });
    run(PYTHON, [path.join(SHARED, 'tools', 'materialize_onnx.py'), MODEL, path.join(tjs, MODEL), '--weights', fp16,
      '--quantize', '--layout', 'transformers.js']);
  }
  // Ours: the published folder (float16 shards + index) and the q8 conversion, side by side.
  return { ours: { [`${MODEL}-fp16`]: fp16, [`${MODEL}-q8`]: q8 }, tjs };
}

function buildTransformersApp(work) {
  if (!fs.existsSync(path.join(TJS_APP, 'node_modules', '@huggingface', 'transformers'))) {
    console.log('[ttfr] npm ci in bench/ttfr/transformers-app (transformers.js 4.3.1, vite; --ignore-scripts)');
    run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: TJS_APP });
  }
  const out = path.join(work, 'apps', 'transformers');
  run(path.join(TJS_APP, 'node_modules', '.bin', 'vite'), ['build', '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'], { cwd: TJS_APP });
  return { dist: out, ort: path.join(TJS_APP, 'node_modules', 'onnxruntime-web', 'dist'),
    version: JSON.parse(fs.readFileSync(path.join(TJS_APP, 'node_modules', '@huggingface', 'transformers', 'package.json'), 'utf8')).version };
}

/**
 * examples/vite, production build, with the packed package. `main` replaces its src/main.js (--phases).
 * @param {string} work
 * @param {{name?: string, main?: string}} [variant]
 */
function buildOursApp(work, { name = 'ours', main } = {}) {
  const example = path.join(ROOT, 'examples', 'vite');
  if (!fs.existsSync(path.join(example, 'package.json'))) {
    throw new Error('examples/vite is missing (issue 14); pass --ours-dist DIR with a production build of an equivalent app');
  }
  // As examples/README.md says: the packed package as apps/bertology.tgz (the example's file:../bertology.tgz).
  const apps = path.join(work, 'apps');
  const src = path.join(apps, `${name}-src`);
  fs.rmSync(src, { recursive: true, force: true });
  fs.mkdirSync(apps, { recursive: true });
  fs.cpSync(example, src, { recursive: true, filter: (p) => !/\/(node_modules|dist|public)(\/|$)/.test(p.slice(example.length)) });
  const packed = run('npm', ['pack', '--silent', '--pack-destination', apps], { cwd: ROOT }).trim().split('\n').at(-1);
  fs.renameSync(path.join(apps, packed), path.join(apps, 'bertology.tgz'));
  if (main) fs.copyFileSync(main, path.join(src, 'src', 'main.js'));
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: src });
  const out = path.join(work, 'apps', name);
  run(path.join(src, 'node_modules', '.bin', 'vite'), ['build', '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'], { cwd: src });
  return { dist: out };
}

// ---------------------------------------------------------------------------------------------
// A static host on 127.0.0.1 (counts the bytes it sends).

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.wasm': 'application/wasm', '.json': 'application/json', '.txt': 'text/plain',
  '.onnx': 'application/octet-stream', '.safetensors': 'application/octet-stream', '.map': 'application/json',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.wasm', '.json', '.txt', '.map']);

/** What a request fetched, for the byte counts. */
function kindOf(pathname) {
  if (pathname.startsWith('/models/')) return 'model';
  if (/\.m?js$/.test(pathname)) return 'js';
  if (pathname.endsWith('.wasm')) return 'wasm';
  return 'other';
}

/**
 * @param {{mounts: [string, string][], isolation: boolean, compression: string}} options
 */
async function startHost({ mounts, isolation, compression }) {
  /** @type {Map<string, {plain: Buffer, gzip?: Buffer}>} */
  const cache = new Map();
  const counts = { js: 0, wasm: 0, model: 0, other: 0, ranges: 0, rangeBytes: 0, requests: [] };
  const locate = (pathname) => {
    for (const [prefix, dir] of mounts) {
      if (!pathname.startsWith(prefix)) continue;
      let file = path.resolve(dir, `.${path.sep}${pathname.slice(prefix.length)}`);
      if (file !== dir && !file.startsWith(dir + path.sep)) return null;
      if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
      return fs.existsSync(file) ? file : null;
    }
    return null;
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const pathname = decodeURIComponent(url.pathname);
    const headers = { 'Cross-Origin-Resource-Policy': 'same-origin' };
    if (isolation) Object.assign(headers, { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
    const file = locate(pathname);
    const send = (status, h, body) => {
      const all = { ...headers, ...h, 'Content-Length': String(body.length) };
      res.writeHead(status, all);
      res.end(req.method === 'HEAD' ? undefined : body);
      const headerBytes = Object.entries(all).reduce((n, [k, v]) => n + k.length + String(v).length + 4, 20);
      counts[kindOf(pathname)] += body.length + headerBytes;
      if (status === 206) {
        counts.ranges += 1;
        counts.rangeBytes += body.length + headerBytes;
      }
      counts.requests.push({ path: pathname, status, bytes: body.length, encoding: h['Content-Encoding'] ?? 'identity', range: req.headers.range ?? null });
    };
    if (!file) return send(404, { 'Content-Type': 'text/plain' }, Buffer.from('not found'));
    const ext = path.extname(file);
    let entry = cache.get(file);
    if (!entry) {
      entry = { plain: fs.readFileSync(file) };
      cache.set(file, entry);
    }
    const h = { 'Content-Type': TYPES[ext] ?? 'application/octet-stream', Vary: 'Accept-Encoding',
      'Cache-Control': pathname.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache' };
    let body = entry.plain;
    if (compression === 'gzip' && COMPRESSIBLE.has(ext) && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      entry.gzip ??= zlib.gzipSync(entry.plain, { level: 9 });
      body = entry.gzip;
      h['Content-Encoding'] = 'gzip';
      return send(200, h, body);
    }
    // uncompressed: one byte range on request (several ranges: the whole file, which HTTP allows)
    h['Accept-Ranges'] = 'bytes';
    const m = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? '').trim());
    if (m && (m[1] !== '' || m[2] !== '')) {
      const size = body.length;
      const start = m[1] === '' ? Math.max(0, size - Number(m[2])) : Number(m[1]);
      const end = m[1] === '' || m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
      if (start >= size || end < start) return send(416, { 'Content-Range': `bytes */${size}` }, Buffer.alloc(0));
      return send(206, { ...h, 'Content-Range': `bytes ${start}-${end}/${size}` }, body.subarray(start, end + 1));
    }
    send(200, h, body);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}/`, counts,
    reset() { Object.assign(counts, { js: 0, wasm: 0, model: 0, other: 0, ranges: 0, rangeBytes: 0, requests: [] }); },
    close: () => new Promise((ok) => server.close(ok)),
  };
}

// ---------------------------------------------------------------------------------------------
// One cold run in a fresh browser profile.

/** The features playwright-core 1.65 disables by default (its chromiumSwitches). */
const PLAYWRIGHT_DISABLED_FEATURES = ['AvoidUnnecessaryBeforeUnloadCheckSync', 'DestroyProfileOnBrowserClose', 'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable', 'LensOverlay', 'MediaRouter', 'PaintHolding', 'ThirdPartyStoragePartitioning',
  'AvoidCorsURLLoaderRestartOnRedirect', 'TcpPortRandomizationWin', 'OptimizationHints', 'NetworkTimeServiceQuerying', 'AimEnabled',
  'PreconnectToSearch'];

/** Chrome trace categories for --trace: tasks per thread, V8 (script compile, wasm compile and tiering), marks. */
const TRACE_CATEGORIES = ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing', 'loading',
  'v8', 'v8.execute', 'v8.wasm', 'disabled-by-default-v8.wasm.detailed', 'disabled-by-default-v8.compile', '__metadata'];

/**
 * Records a Chrome trace of the page (CDP Tracing) until `stop()`, which writes it to `file`.
 * @param {import('playwright-core').CDPSession} cdp
 * @param {string} file
 */
async function startTrace(cdp, file) {
  await cdp.send('Tracing.start', { transferMode: 'ReturnAsStream',
    traceConfig: { recordMode: 'recordAsMuchAsPossible', includedCategories: TRACE_CATEGORIES } });
  return async () => {
    const complete = new Promise((ok) => cdp.once('Tracing.tracingComplete', ok));
    await cdp.send('Tracing.end');
    const { stream } = /** @type {any} */ (await complete);
    const chunks = [];
    for (;;) {
      const { data, eof, base64Encoded } = await cdp.send('IO.read', { handle: stream, size: 1 << 20 });
      chunks.push(base64Encoded ? Buffer.from(data, 'base64') : Buffer.from(data, 'utf8'));
      if (eof) break;
    }
    await cdp.send('IO.close', { handle: stream });
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.concat(chunks));
  };
}

async function coldRun(chromium, host, pageUrl, network, timeoutMs, traceFile = null) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'bertology-ttfr-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, ignoreDefaultArgs: ['--headless=new'],
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
      // headless Chromium 156 otherwise preloads a browser-UI page (chrome://omnibox-popup.top-chrome, its own renderer)
      // while the app loads in 9 of 21 traced runs: 76-389 ms of CPU taken from either app at random (none in 59 runs with this)
      // (one --disable-features switch counts: playwright-core's own list is repeated here)
      `--disable-features=${[...PLAYWRIGHT_DISABLED_FEATURES, 'PreloadTopChromeWebUI', 'WebUIOmniboxPopup', 'WebUIOmniboxAimPopup', 'WebUIOmniboxFullPopup'].join(',')}`],
  });
  try {
    const page = context.pages()[0] ?? await context.newPage();
    const log = [];
    page.on('console', (m) => log.push(m.text()));
    page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
    const cdp = await context.newCDPSession(page);
    // bytes Chromium received, by kind and time (monotonic seconds; wallTime - timestamp maps it to the wall clock);
    /** @type {Map<string, string>} */
    const kinds = new Map();
    /** @type {[number, string, number][]} */
    const received = [];
    let clock = NaN;
    cdp.on('Network.requestWillBeSent', (e) => {
      kinds.set(e.requestId, kindOf(new URL(e.request.url).pathname));
      if (Number.isNaN(clock) && e.wallTime) clock = e.wallTime - e.timestamp;
    });
    // encodedDataLength: bytes off the network (Chromium reports decoded and encoded bytes in separate events)
    cdp.on('Network.dataReceived', (e) => received.push([e.timestamp, kinds.get(e.requestId) ?? 'other', e.encodedDataLength]));
    await cdp.send('Network.enable');
    if (NETWORKS[network]) {
      await cdp.send('Network.emulateNetworkConditions', NETWORKS[network]);
    }
    // Both apps show their result in #result and then set data-state="done" (or "error"): the time is
    // taken by a MutationObserver in the same task, performance.now() counting from navigation start.
    await context.addInitScript(() => {
      const watch = () => {
        const el = document.getElementById('result');
        if (!el) return;
        new MutationObserver(() => {
          const state = el.dataset.state;
          if ((state === 'done' || state === 'error') && !(/** @type {any} */ (window)).__ttfr) {
            // examples/vite stamps data-ms = performance.now() when it shows the result; else now.
            const ms = el.dataset.ms ? Number(el.dataset.ms) : performance.now();
            /** @type {any} */ (window).__ttfr = { ms, wall: performance.timeOrigin + ms, state, text: el.textContent };
          }
        }).observe(el, { attributes: true, attributeFilter: ['data-state'] });
      };
      if (document.readyState === 'loading') addEventListener('DOMContentLoaded', watch);
      else watch();
    });
    host.reset();
    const stopTrace = traceFile ? await startTrace(cdp, traceFile) : null;
    await page.goto(pageUrl, { waitUntil: 'commit', timeout: timeoutMs });
    const handle = await page.waitForFunction(() => /** @type {any} */ (window).__ttfr, null, { timeout: timeoutMs, polling: 50 });
    const seen = /** @type {{ms: number, wall: number, state: string, text: string}} */ (await handle.jsonValue());
    await stopTrace?.();
    const isolated = await page.evaluate(() => globalThis.crossOriginIsolated === true);
    const bytes = { js: host.counts.js, wasm: host.counts.wasm, model: host.counts.model, other: host.counts.other,
      ranges: host.counts.ranges, range_bytes: host.counts.rangeBytes };
    const before = { js: 0, wasm: 0, model: 0, other: 0 };
    for (const [t, kind, n] of received) if ((t + clock) * 1000 <= seen.wall) before[kind] += n;
    if (seen.state !== 'done') return { error: seen.text.slice(0, 300), bytes, before, log: log.slice(-5) };
    let parsed = {};
    try { parsed = JSON.parse(seen.text); } catch { /* not JSON */ }
    const info = /** @type {any} */ (parsed);
    return { ms: seen.ms, label: info.label, score: info.score, threads: info.runtime?.threads ?? info.threads ?? null, marks: info.marks,
      build: info.runtime?.build ?? null, isolated, bytes, before, requests: host.counts.requests.length, log: log.slice(-5) };
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}


/** The control page (bench/ttfr/control), mounted on every host of ours. */
const CONTROL_MOUNT = /** @type {[string, string]} */ (['/control/', path.join(ROOT, 'bench', 'ttfr', 'control')]);

/**
 * --phases: examples/vite instrumented (bench/ttfr/phases/main.js), loopback, medians of the marks (module
 * evaluated, runtime ready, files downloaded, model loaded, first result) on three pages: isolated (threaded
 * build), isolated with `?threads=1` (the single-threaded build on the same page) and not isolated; plus
 * the control page isolated and not. `--ours-dist A=DIR,B=DIR` compares app builds, interleaved.
 */
async function phases(o) {
  const loadBefore = os.loadavg();
  const models = await prepareModels(o.work);
  /** @type {[string, string][]} variant name ('' for one) → app dist */
  const apps = o.oursDist ? String(o.oursDistList).split(',').map((spec) => {
    const at = spec.indexOf('=');
    return /** @type {[string, string]} */ (at > 0 ? [`${spec.slice(0, at)} `, path.resolve(spec.slice(at + 1))] : ['', path.resolve(spec)]);
  }) : [['', o.build ? buildOursApp(o.work, { name: 'phases', main: path.join(ROOT, 'bench', 'ttfr', 'phases', 'main.js') }).dist
    : path.join(o.work, 'apps', 'phases')]];
  const modelsDir = path.dirname(models.ours[`${MODEL}-q8`]);
  const fp16Link = path.join(modelsDir, `${MODEL}-fp16`);
  if (!fs.existsSync(fp16Link)) fs.symlinkSync(models.ours[`${MODEL}-fp16`], fp16Link);
  const { chromium } = await import('playwright-core');
  /** @type {{variant: string, iso: any, st: any}[]} */
  const served = [];
  for (const [variant, dist] of apps) {
    const mounts = /** @type {[string, string][]} */ ([['/models/', modelsDir], CONTROL_MOUNT, ['/', dist]]);
    served.push({ variant, iso: await startHost({ mounts, isolation: true, compression: o.compression }),
      st: await startHost({ mounts, isolation: false, compression: o.compression }) });
  }
  /** @type {Record<string, Record<string, number[]>>} */
  const marks = {};
  /** @type {Record<string, {model: number, total: number, sent: number, ranges: number, rangeBytes: number}[]>} */
  const volumes = {};
  for (let round = -1; round < o.rounds; round++) {
    /** @type {{key: string, host: any, url: string}[]} */
    const pages = [];
    for (const precision of ['q8', 'fp16'].filter((p) => o.precisions.includes(p))) {
      for (const [page, query] of [['isolated', ''], [SINGLE_ON_ISOLATED, '&threads=1'], ['not isolated', '']]) {
        for (const { variant, iso, st } of served) {
          const host = page === 'not isolated' ? st : iso;
          pages.push({ key: `${variant}${precision} ${page}`, host, url: `${host.url}?model=${encodeURIComponent(`/models/${MODEL}-${precision}/`)}${query}` });
        }
      }
    }
    for (const page of ['isolated', 'not isolated']) {
      const host = page === 'isolated' ? served[0].iso : served[0].st;
      pages.push({ key: `control ${page}`, host, url: `${host.url}control/` });
    }
    for (const { key, host, url } of round % 2 ? pages.reverse() : pages) {
      const trace = o.trace && round >= 0 ? path.join(o.trace, `${key.replace(/[^\w]+/g, '-')}-r${round + 1}.json`) : null;
      const r = await coldRun(chromium, host, url, 'loopback', o.timeoutMs, trace);
      if (round < 0 || r.error) {
        if (r.error) console.log(`[ttfr] ${key}: ERROR ${r.error}`);
        continue;
      }
      const m = /** @type {any} */ (r).marks ?? {};
      marks[key] ??= {};
      for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && !Number.isNaN(v)) (marks[key][k] ??= []).push(v);
      const b = /** @type {any} */ (r);
      if (!key.startsWith('control')) (volumes[key] ??= []).push({ model: b.before.model, total: b.before.js + b.before.wasm + b.before.model + b.before.other,
        sent: b.bytes.model, ranges: b.bytes.ranges, rangeBytes: b.bytes.range_bytes });
    }
  }
  for (const { iso, st } of served) {
    await iso.close();
    await st.close();
  }
  // every mark seen, in the order of its median time (navigation start = 0)
  const keys = [...new Set(Object.values(marks).flatMap((m) => Object.keys(m)))];
  const at = (k) => median(Object.values(marks).map((m) => (m[k] ? median(m[k]) : Infinity)));
  keys.sort((a, b) => at(a) - at(b));
  const L = [`### Where our page's time goes (\`npm run bench:ttfr -- --phases\`, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)`, '',
    `examples/vite reduced to its load path (bench/ttfr/phases/main.js), loopback, cold, median of ${o.rounds} rounds, interleaved; ` +
    'pages: isolated (threaded build), isolated with `?threads=1` (the single-threaded build on the same isolated page), not ' +
    'isolated, and the control page (bench/ttfr/control: one small module script; `module` = when it was evaluated); ms from ' +
    'navigation start: the page\'s own marks (module evaluated, runtime ready, pipeline loaded, first result), the package\'s ' +
    '`bertology:*` performance marks and Resource Timing per fetch (start/end of the response). ' +
    `Machine load (1/5/15-min) ${loadBefore.map((x) => x.toFixed(1)).join('/')} before, ${os.loadavg().map((x) => x.toFixed(1)).join('/')} after.`, '',
    `| mark | ${Object.keys(marks).join(' | ')} |`, `|---|${Object.keys(marks).map(() => '---').join('|')}|`];
  for (const k of keys) L.push(`| ${k} | ${Object.values(marks).map((m) => (m[k] ? median(m[k]).toFixed(0) : '–')).join(' | ')} |`);
  L.push('', 'Bytes (medians): received by Chromium before the first result (CDP Network.dataReceived, bodies), model files sent ' +
    'by the server in all (a streamed file counts whole), Range requests answered (206) and their bytes.', '',
    '| page | before result MB (model) | model sent MB | ranges | range kB |', '|---|---|---|---|---|');
  for (const [key, v] of Object.entries(volumes)) {
    const med = (/** @type {string} */ f) => median(v.map((x) => /** @type {any} */ (x)[f]));
    L.push(`| ${key} | ${MB(med('total'))} (${MB(med('model'))}) | ${MB(med('sent'))} | ${med('ranges')} | ${(med('rangeBytes') / 1e3).toFixed(1)} |`);
  }
  console.log(L.join('\n'));
  fs.writeFileSync(path.join(o.work, 'phases.json'), `${JSON.stringify(marks, null, 1)}\n`);
  fs.writeFileSync(path.join(o.outDir, 'ttfr-phases.md'), `${L.join('\n')}\n`);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.phases) return phases(o);
  const rawFile = path.join(o.outDir, 'ttfr.json');
  let runs;
  let meta;
  if (o.reportOnly) {
    ({ runs, meta } = JSON.parse(fs.readFileSync(rawFile, 'utf8')));
  } else {
    fs.mkdirSync(o.work, { recursive: true });
    const models = await prepareModels(o.work);
    const tjsApp = o.build || !fs.existsSync(path.join(o.work, 'apps', 'transformers')) ? buildTransformersApp(o.work)
      : { dist: path.join(o.work, 'apps', 'transformers'), ort: path.join(TJS_APP, 'node_modules', 'onnxruntime-web', 'dist'), version: '4.3.1' };
    const oursDist = o.oursDist ?? (o.build ? buildOursApp(o.work).dist : path.join(o.work, 'apps', 'ours'));
    const { chromium } = await import('playwright-core');
    const oursMounts = [['/models/', path.dirname(models.ours[`${MODEL}-q8`])], CONTROL_MOUNT, ['/', oursDist]];
    // the published float16 folder under its own name
    const fp16Link = path.join(path.dirname(models.ours[`${MODEL}-q8`]), `${MODEL}-fp16`);
    if (!fs.existsSync(fp16Link)) fs.symlinkSync(models.ours[`${MODEL}-fp16`], fp16Link);
    const hosts = {
      'ours|isolated': await startHost({ mounts: oursMounts, isolation: true, compression: o.compression }),
      'ours|not isolated': await startHost({ mounts: oursMounts, isolation: false, compression: o.compression }),
      'transformers.js|isolated': await startHost({ mounts: [['/models/', models.tjs], ['/ort/', tjsApp.ort], ['/', tjsApp.dist]], isolation: true, compression: o.compression }),
      'transformers.js|not isolated': await startHost({ mounts: [['/models/', models.tjs], ['/ort/', tjsApp.ort], ['/', tjsApp.dist]], isolation: false, compression: o.compression }),
    };
    const configs = [];
    for (const network of o.networks) {
      // the controls: the browser's isolation cost (a trivial page), and our single-threaded build on the isolated page
      for (const page of ['isolated', 'not isolated']) {
        const host = hosts[`ours|${page}`];
        configs.push({ engine: 'control', page, precision: 'control', network, host, weights: '–', url: `${host.url}control/` });
      }
      for (const precision of o.precisions) {
        for (const [key, host] of Object.entries(hosts)) {
          const [engine, page] = key.split('|');
          if (engine === 'ours') {
            const weights = precision === 'q8' ? 'q8 conversion (model.safetensors)' : 'float16 shards as published';
            const url = `${host.url}?model=${encodeURIComponent(`/models/${MODEL}-${precision}/`)}`;
            configs.push({ engine, page, precision, network, host, weights, url });
            if (page === 'isolated') configs.push({ engine, page: SINGLE_ON_ISOLATED, precision, network, host, weights, url: `${url}&threads=1` });
            continue;
          }
          for (const wasm of o.tjsWasm) {
            const weights = precision === 'q8' ? 'model_quantized.onnx' : 'model.onnx (fp32)';
            configs.push({ engine, wasm, page, precision, network, host, weights,
              url: `${host.url}?dtype=${precision === 'q8' ? 'q8' : 'fp32'}&wasm=${wasm}` });
          }
        }
      }
    }
    const loadBefore = os.loadavg();
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox'] });
    const chromiumVersion = browser.version();
    await browser.close();
    // One discarded warm-up per configuration (OS file cache, Chromium binary), then the rounds.
    runs = [];
    for (let round = -1; round < o.rounds; round++) {
      const order = round % 2 === 0 ? configs : [...configs].reverse();
      for (const c of order) {
        let r;
        try {
          r = await coldRun(chromium, c.host, c.url, c.network, o.timeoutMs);
        } catch (e) {
          r = { error: String(/** @type {Error} */ (e).message).split('\n')[0] };
        }
        const { host, url, ...config } = c;
        const row = { ...config, round, ...r };
        if (round >= 0) runs.push(row);
        console.log(`[ttfr] ${round < 0 ? 'warm-up' : `round ${round + 1}/${o.rounds}`} ${c.network} ${c.precision} ${c.engine}${c.wasm ? ` (${c.wasm})` : ''} ${c.page}: ` +
          (r.error ? `ERROR ${r.error}` : `${r.ms.toFixed(0)} ms, ${r.label} ${r.threads ?? ''} ${r.build ?? ''} JS ${MB(r.bytes.js)} wasm ${MB(r.bytes.wasm)} model ${MB(r.bytes.model)} MB`));
      }
    }
    for (const h of Object.values(hosts)) await h.close();
    meta = { date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC', chromium: chromiumVersion, rounds: o.rounds,
      cores: os.availableParallelism?.() ?? os.cpus().length, compression: o.compression, tjs_version: tjsApp.version,
      tjs_wasm: o.tjsWasm, loadavg: { before: loadBefore.map((x) => Number(x.toFixed(1))), after: os.loadavg().map((x) => Number(x.toFixed(1))) } };
    fs.writeFileSync(rawFile, `${JSON.stringify({ meta, runs }, null, 1)}\n`);
  }
  const rows = summarize(runs).map((r) => ({ ...r, measured_at: meta.date }));
  fs.writeFileSync(path.join(o.outDir, 'ttfr.md'), `${report(rows, meta)}\n`);
  // bench/results.json: replace the earlier ttfr rows; RESULTS.md: rewritten with bench/ttfr.md included.
  const resultsFile = path.join(o.outDir, 'results.json');
  const all = fs.existsSync(resultsFile) ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')).filter((r) => r.kind !== 'ttfr') : [];
  fs.writeFileSync(resultsFile, `${JSON.stringify([...all, ...rows], null, 1)}\n`);
  if (o.outDir === path.join(ROOT, 'bench')) run(process.execPath, [path.join(ROOT, 'bench', 'run.mjs'), '--report-only'], { stdio: 'inherit' });
  console.log(report(rows, meta));
}

export { buildOursApp, coldRun, CONTROL_MOUNT, median, prepareModels, startHost };

// `node bench/ttfr.mjs …` runs the benchmark; importing this module (scripts, A/B experiments) does not.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
