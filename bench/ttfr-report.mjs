// The report of `npm run bench:ttfr` (bench/ttfr.mjs): medians per configuration, bench/ttfr.md
// (main table, bytes, controls) and the rows it adds to bench/results.json.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MODEL = 'bert-mini-sst2';
/** The page that runs our single-threaded build on the isolated host (a control). */
export const SINGLE_ON_ISOLATED = 'isolated, threads: 1';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const MB = (b) => (b / 1e6).toFixed(2);

function summarize(runs) {
  const groups = new Map();
  for (const r of runs) {
    const key = `${r.engine}|${r.wasm ?? ''}|${r.page}|${r.precision}|${r.network}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  return [...groups.values()].map((g) => {
    const ok = g.filter((r) => typeof r.ms === 'number');
    const first = g[0];
    const bytes = Object.fromEntries(['js', 'wasm', 'model', 'other'].map((k) => [k, median(ok.map((r) => r.bytes[k]))]));
    const before = Object.fromEntries(['js', 'wasm', 'model', 'other'].map((k) => [k, median(ok.map((r) => r.before?.[k] ?? NaN))]));
    return {
      kind: 'ttfr', env: 'chromium-ttfr', model: MODEL, engine: first.engine, wasm: first.wasm ?? null, page: first.page, precision: first.precision,
      weights: first.weights, network: first.network, runs: ok.length, failed: g.length - ok.length,
      errors: [...new Set(g.filter((r) => r.error).map((r) => r.error))],
      ms: median(ok.map((r) => r.ms)), ms_min: Math.min(...ok.map((r) => r.ms)), ms_max: Math.max(...ok.map((r) => r.ms)),
      threads: first.threads ?? null, label: first.label ?? null,
      bytes, total_bytes: bytes.js + bytes.wasm + bytes.model + bytes.other,
      // received by Chromium before the first result (bodies), and the Range requests answered
      bytes_before_result: before, total_before_result: before.js + before.wasm + before.model + before.other,
      range_requests: median(ok.map((r) => r.bytes.ranges ?? 0)),
    };
  });
}

function report(rows, meta) {
  const L = [];
  L.push('## Time to first result (bench/ttfr.mjs, `npm run bench:ttfr`; issue 14)');
  L.push('');
  L.push(`Chromium ${meta.chromium ?? '?'}, Vite production builds, cold cache (fresh profile per run), from navigation to the first ` +
    `sentiment result (performance.now() on the page) for ${MODEL}; median of ${meta.rounds} interleaved rounds on a shared ` +
    `${meta.cores}-vCPU machine (${meta.date}). Ours: examples/vite from the packed tarball; transformers.js ${meta.tjs_version} ` +
    'in bench/ttfr/transformers-app (onnxruntime-web wasm files served locally). Server: a static host on 127.0.0.1 ' +
    `(${meta.compression === 'gzip' ? 'gzip for HTML/JS/JSON/wasm — what Chromium accepts over http —, model files as stored' : 'no compression'}; ` +
    'COOP/COEP on the isolated pages only). 20 Mbit/s = CDP Network.emulateNetworkConditions, 20 Mbit/s both ways, 20 ms RTT. ' +
    'Bytes as sent by the server (encoded body + headers; a streamed file counts whole); "before result": bodies ' +
    'Chromium received before the first result (CDP Network.dataReceived); ranges: Range requests answered (206).' +
    (meta.loadavg ? ` Machine load (1/5/15-min load average) ${meta.loadavg.before.join('/')} before the run, ${meta.loadavg.after.join('/')} after.` : '') +
    ' To re-run: `npm run build && npm run bench:ttfr` (needs Debian\'s /usr/bin/chromium; about 15 min with 3 rounds; ' +
    '`-- --rounds 5`, `-- --networks loopback`, `-- --phases` for the breakdown of our page, `-- --phases --trace DIR` for a Chrome ' +
    'trace of each of its runs). Chromium runs with `--disable-features=…WebUIOmniboxPopup…`: otherwise headless Chromium 156 ' +
    'renders its omnibox popup (a browser-UI page in its own renderer: 76–389 ms of CPU in 9 of 21 traced runs) while either app loads.');
  L.push('');
  L.push('| network | weights | engine | page | time to first result (ms) | JS | wasm | model | total MB | before result MB (model) | ranges |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|');
  const order = (r) => [r.network === 'loopback' ? 0 : 1, ['fp16', 'q8', 'control'].indexOf(r.precision),
    r.engine === 'ours' ? 0 : r.engine === 'control' ? 3 : r.wasm === 'plain' ? 1 : 2, ['isolated', SINGLE_ON_ISOLATED, 'not isolated'].indexOf(r.page)];
  const sorted = [...rows].sort((a, b) => {
    const x = order(a), y = order(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
    return 0;
  });
  for (const r of sorted) {
    const ms = r.runs ? `${r.ms.toFixed(0)} (${r.ms_min.toFixed(0)}–${r.ms_max.toFixed(0)})` : `failed: ${r.errors.join('; ')}`;
    const engine = r.engine === 'ours' ? 'Bertology' : r.engine === 'control' ? 'control: one small module script (evaluated)' : `transformers.js (${r.wasm} wasm)`;
    L.push(`| ${r.network} | ${r.weights} | ${engine} | ${r.page}${r.threads ? `, ${r.threads} thr` : ''} | ${ms} | ` +
      `${MB(r.bytes.js)} | ${MB(r.bytes.wasm)} | ${MB(r.bytes.model)} | ${MB(r.total_bytes)} | ` +
      `${Number.isNaN(r.total_before_result ?? NaN) ? '–' : `${MB(r.total_before_result)} (${MB(r.bytes_before_result.model)})`} | ${r.range_requests ?? '–'} |`);
  }
  L.push('');
  L.push('Ratios (ours / transformers.js at the same weight precision — fp16 as published vs its fp32 model.onnx, q8 vs ' +
    'model_quantized.onnx — against the fastest transformers.js configuration of the run: page and wasm variant; bytes ' +
    'against that configuration\'s):');
  L.push('');
  L.push('| network | weights | ours isolated / tjs | ours not isolated / tjs | goal | bytes ours / tjs (ours\' larger page / tjs\' smallest) | threaded / single-threaded page (ours) |');
  L.push('|---|---|---|---|---|---|---|');
  for (const network of [...new Set(rows.map((r) => r.network))]) {
    for (const precision of ['fp16', 'q8']) {
      const pick = (engine, page) => rows.find((r) => r.network === network && r.precision === precision && r.engine === engine && r.page === page && r.runs);
      const tjs = rows.filter((r) => r.network === network && r.precision === precision && r.engine === 'transformers.js' && r.runs)
        .sort((a, b) => a.ms - b.ms)[0];
      const iso = pick('ours', 'isolated');
      const st = pick('ours', 'not isolated');
      if (!tjs || (!iso && !st)) continue;
      const f = (x) => (x ? (x.ms / tjs.ms).toFixed(2) : '–');
      // bytes: our larger page against transformers.js's smallest configuration (the conservative ratio)
      const oursBytes = Math.max(...[iso, st].filter(Boolean).map((r) => /** @type {any} */ (r).total_bytes));
      const tjsBytes = Math.min(...rows.filter((r) => r.network === network && r.precision === precision &&
        r.engine === 'transformers.js' && r.runs).map((r) => r.total_bytes));
      L.push(`| ${network} | ${precision} | ${f(iso)} | ${f(st)} | ≤ ${network === 'loopback' ? '0.33' : '0.50'} | ` +
        `${(oursBytes / tjsBytes).toFixed(2)} | ${iso && st ? (iso.ms / st.ms).toFixed(2) : '–'} |`);
    }
  }
  L.push('');
  L.push(...controls(rows));
  // the breakdown of our page from the last --phases run, when there is one
  const phasesFile = path.join(meta.outDir ?? path.join(ROOT, 'bench'), 'ttfr-phases.md');
  if (fs.existsSync(phasesFile)) L.push(fs.readFileSync(phasesFile, 'utf8'));
  return L.join('\n');
}

/**
 * The control table: the threaded page's extra time to first result over the single-threaded page, split into
 * the browser's part (the same single-threaded build, isolated vs not; and the trivial page's) and ours (threaded
 * vs single-threaded build, both on the isolated page).
 * @param {any[]} rows
 * @returns {string[]}
 */
function controls(rows) {
  const ok = rows.filter((r) => r.runs);
  const find = (network, precision, engine, page) => ok.find((r) => r.network === network && r.precision === precision && r.engine === engine && r.page === page);
  const L = [];
  for (const network of [...new Set(ok.map((r) => r.network))]) {
    const ci = find(network, 'control', 'control', 'isolated');
    const cn = find(network, 'control', 'control', 'not isolated');
    for (const precision of ['fp16', 'q8']) {
      const t = find(network, precision, 'ours', 'isolated');
      const s1 = find(network, precision, 'ours', SINGLE_ON_ISOLATED);
      const n = find(network, precision, 'ours', 'not isolated');
      if (!t || !n) continue;
      /** `a / b (+d ms)` @param {any} a @param {any} b */
      const cmp = (a, b) => (a && b ? `${(a.ms / b.ms).toFixed(2)} (${a.ms - b.ms >= 0 ? '+' : '−'}${Math.abs(a.ms - b.ms).toFixed(0)} ms)` : '–');
      L.push(`| ${network} | ${precision} | ${cmp(t, n)} | ${ci && cn ? `${ci.ms.toFixed(0)} / ${cn.ms.toFixed(0)} ms: ${cmp(ci, cn)}` : '–'} | ` +
        `${cmp(s1, n)} | ${cmp(t, s1)} |`);
    }
  }
  if (!L.length) return [];
  return ['Controls (is the threaded page\'s extra time the browser\'s or ours?): the trivial page (bench/ttfr/control, one small ' +
    'module script on the same hosts) gives what Chromium spends on cross-origin isolation before any script runs; our app with ' +
    '`?threads=1` on the isolated page runs the single-threaded build (the package\'s `threads` option) where the threaded one ' +
    'runs, so threaded / single-threaded build there is our threads\' cost with the browser\'s conditions equal, and the ' +
    'single-threaded build isolated / not isolated is the browser\'s cost on our page.', '',
    '| network | weights | threaded page / single-threaded page (ours) | control: module evaluated, isolated / not isolated | ' +
    'browser: single-threaded build, isolated / not isolated page | ours: threaded / single-threaded build, both on the isolated page |',
    '|---|---|---|---|---|---|', ...L, ''];
}

/** Our app on the isolated page with ?threads=1: the single-threaded build where the threaded one runs. */

export { controls, MB, median, report, summarize };
