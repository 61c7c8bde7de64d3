// bench/ttfr.mjs --phases: examples/vite's page reduced to its load path, with marks (performance.now()
// from navigation start) for where the time goes: the module evaluated, the runtime ready (wasm
// compiled + instantiated, pool workers up), the model files opened (downloaded), the model loaded into
// the engine, the first result. The runtime and the files are requested in parallel, as pipeline() does.
import { getRuntime, pipeline } from 'bertology';

const marks = { module: performance.now() };
const params = new URLSearchParams(location.search);
const model = params.get('model') ?? '/models/bert-mini-sst2/';
const result = /** @type {HTMLElement} */ (document.getElementById('result'));
getRuntime().then(() => { marks.runtime = performance.now(); });
// the same downloads pipeline() makes, observed through its progress events
const progress = (/** @type {any} */ e) => { if (e.status === 'done') marks.files = performance.now(); };
try {
  const classifier = await pipeline('sentiment-analysis', model, { progress_callback: progress });
  marks.loaded = performance.now();
  const [r] = await classifier('I loved the movie!');
  marks.result = performance.now();
  result.textContent = JSON.stringify({ label: r.label, score: r.score, runtime: classifier.model.runtime, marks });
  result.dataset.ms = String(marks.result);
  result.dataset.state = 'done';
} catch (e) {
  result.textContent = String(e);
  result.dataset.state = 'error';
}
