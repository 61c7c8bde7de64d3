// bench/ttfr.mjs --phases: examples/vite's page reduced to its load path, reporting where the time goes
// (ms from navigation start, performance.now()):
//   module     this module evaluated (the app's JS downloaded, parsed and run)
//   runtime    getRuntime() settled (wasm fetched + compiled + instantiated, pool workers up)
//   loaded     pipeline() settled (the engine loaded the weights and the tokenizer)
//   result     the first sentiment result
//   nav response, nav parsed   the page's HTML received (navigation responseEnd) and parsed (domInteractive):
//              before any of the app's JS runs. A cross-origin-isolated page pays its navigation here:
//              a page with one 4-line module script evaluates it 38-55 ms later isolated than not
//              (Chromium 156, this machine under load, 10-12 interleaved cold runs), i.e. most of the
//              threaded page's gap to the single-threaded one is spent before the package is evaluated
// plus every `bertology:*` performance mark the package sets (js/runtime/host.js mark(): wasm-compiled,
// runtime-ready, files-ready, engine-load, engine-loaded, and rows-wait/rows-ready: the first call
// that waited for word-embedding rows, from asking to filled; absent in older builds) and the
// Resource Timing of each fetch (`fetch <file>`: start → end of its response).
// Range requests (progressive weights: js/sources/progressive.js) are timed by a wrapper around fetch,
// since Resource Timing has no entry for a request cancelled before its end (a row the table's stream
// overtook) nor for one still running at the result (the table's body):
//   table prefix / table body   the table-only shard's first 64 KiB and its body (`Range: bytes=N-`):
//                               start (fetch called), headers (fetch resolved), end (prefix body read)
//   rows                        the first row request's start, the last row response's headers and body
//                               end; `rows requested (count)`/`rows cancelled (count)` count them (before the result)
import { getRuntime, pipeline } from 'bertology';

/** @type {Record<string, number>} */
const marks = { module: performance.now() };
const plainFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const range = new Headers(init?.headers).get('range');
  if (!range) return plainFetch(input, init);
  const m = /^bytes=(\d+)-(\d*)$/.exec(range);
  const kind = m && m[1] === '0' ? 'table prefix' : m && m[2] === '' ? 'table body' : 'rows';
  const at = (/** @type {string} */ what, first = false) => {
    const key = `${kind} ${what}`;
    marks[key] = first ? Math.min(marks[key] ?? Infinity, performance.now()) : performance.now();
  };
  at('start', true);
  if (kind === 'rows') marks['rows requested (count)'] = (marks['rows requested (count)'] ?? 0) + 1;
  let res;
  try {
    res = await plainFetch(input, init);
  } catch (e) {
    if (kind === 'rows') marks['rows cancelled (count)'] = (marks['rows cancelled (count)'] ?? 0) + 1;
    throw e;
  }
  at('headers');
  if (kind !== 'table body') {
    const body = res.arrayBuffer.bind(res);
    res.arrayBuffer = async () => {
      try {
        const b = await body();
        at('end');
        return b;
      } catch (e) {
        if (kind === 'rows') marks['rows cancelled (count)'] = (marks['rows cancelled (count)'] ?? 0) + 1;
        throw e;
      }
    };
  }
  return res;
};
const params = new URLSearchParams(location.search);
const model = params.get('model') ?? '/models/bert-mini-sst2/';
// ?threads=N as in examples/vite (bench/ttfr.mjs: threads=1 runs the single-threaded build on the isolated page)
const threads = params.has('threads') ? Number(params.get('threads')) : undefined;
const result = /** @type {HTMLElement} */ (document.getElementById('result'));
getRuntime({ threads }).then(() => { marks.runtime = performance.now(); });
try {
  // no progress_callback, like examples/vite (with one, bodies are read chunk by chunk)
  const classifier = await pipeline('sentiment-analysis', model, { threads });
  marks.loaded = performance.now();
  const [r] = await classifier('I loved the movie!');
  marks.result = performance.now();
  for (const m of performance.getEntriesByType('mark')) {
    if (m.name.startsWith('bertology:')) marks[m.name.slice('bertology:'.length)] = m.startTime;
  }
  const nav = /** @type {PerformanceNavigationTiming | undefined} */ (performance.getEntriesByType('navigation')[0]);
  if (nav) {
    marks['nav response'] = nav.responseEnd;
    marks['nav parsed'] = nav.domInteractive;
  }
  for (const e of /** @type {PerformanceResourceTiming[]} */ (performance.getEntriesByType('resource'))) {
    const file = new URL(e.name).pathname.split('/').pop() ?? e.name;
    const key = /\.(js|mjs)$/.test(file) ? file.replace(/-[\w-]{8}\.(m?js)$/, '.$1') : file;
    if (/** @type {any} */ (e).responseStatus === 206) {
      // Range requests for word-embedding rows (first start, last end)
      marks[`fetch ${key} ranges start`] = Math.min(marks[`fetch ${key} ranges start`] ?? Infinity, e.startTime);
      marks[`fetch ${key} ranges end`] = Math.max(marks[`fetch ${key} ranges end`] ?? 0, e.responseEnd);
      continue;
    }
    marks[`fetch ${key} start`] = e.startTime;
    marks[`fetch ${key} end`] = e.responseEnd;
  }
  result.textContent = JSON.stringify({ label: r.label, score: r.score, runtime: classifier.model.runtime, marks });
  result.dataset.ms = String(marks.result);
  result.dataset.state = 'done';
} catch (e) {
  result.textContent = String(e);
  result.dataset.state = 'error';
}
