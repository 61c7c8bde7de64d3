// The browser half of the benchmark (loaded by page.html, driven by bench/run.mjs through
// Playwright): the same job as bench/child.mjs, in a cross-origin-isolated page, on the main thread
// for both engines (the default way either package is used from a page).
//   ours: the package's runtime (/pkg/js/index.js getRuntime, Embind API of the build it picks),
//         files fetched from /models/<name>/ and streamed straight into the engine's FileStore.
//   ort:  onnxruntime-web's browser build /ort/ort.wasm.min.mjs (wasm backend, its own
//         ort-wasm-simd-threaded.{mjs,wasm} from the same directory).

import { geometry, makeInputs, timeRuns, head8, oursForwardFlags } from '/bench/lib/common.mjs';

const job = JSON.parse(new URLSearchParams(location.search).get('job'));
const now = () => performance.now();
const modelUrl = (name) => `/models/${job.model}/${name}`;

async function fetchJson(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

/** Streams a response body into `view` chunk by chunk (no second full-size JS buffer). */
async function streamInto(response, view) {
  const reader = response.body.getReader();
  let off = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    view.set(value, off);
    off += value.length;
  }
  if (off !== view.length) throw new Error(`short body: ${off} of ${view.length} bytes`);
}

async function setupOurs(g) {
  const t0 = now();
  // The package's own runtime (/pkg/js/ + /pkg/dist/, a snapshot of the build): the build a page
  // gets — the relaxed-SIMD twin where Chromium has relaxed SIMD — unless job.relaxed is false.
  const { getRuntime, env } = await import('/pkg/js/index.js');
  if (job.relaxed === false) env.relaxedSimd = false;
  const runtime = await getRuntime({ threads: job.threads });
  const M = runtime.module;
  const got = runtime.threads;
  const tInit = now();
  const store = new M.FileStore();
  let weightFileBytes = 0;
  for (const name of ['config.json', 'model.safetensors']) {
    const r = await fetch(modelUrl(name));
    if (!r.ok) throw new Error(`${name}: HTTP ${r.status}`);
    const size = Number(r.headers.get('content-length'));
    if (name === 'model.safetensors') weightFileBytes = size;
    const view = store.allocate(name, size);
    if (view.error) throw new Error(view.error);
    await streamInto(r, view);  // no engine call happens while streaming, so the view stays valid
  }
  const r = M.loadModel(store, JSON.stringify({ dtype: job.precision === 'int8' ? 'q8' : 'fp32' }));
  store.delete();
  if ('error' in r) throw new Error(`loadModel: ${r.error}`);
  const model = r.model;
  const tReady = now();
  const info = JSON.parse(model.info());
  // Never report fp32 timings as int8: the int8 weights must be visibly smaller.
  if (job.precision === 'int8' && !(info.weight_bytes < 0.5 * weightFileBytes)) {
    throw new Error(`loadModel(dtype q8) gave ${(info.weight_bytes / 1e6).toFixed(1)} MB of weights`);
  }
  return {
    threadsGot: got, build: runtime.build, kernels: runtime.kernels(),
    initMs: tInit - t0, loadMs: tReady - t0, info, weightBytes: info.weight_bytes,
    wasmBytes: () => M.HEAPU8.buffer.byteLength,
    prepare(batch, seq) {
      const { ids, mask, types } = makeInputs(batch, seq, g.vocab);
      const typeArg = g.head === 'distilbert-sequence-classification' ? null : types;
      return () => {
        const out = model.forward(ids, typeArg, mask, batch, seq, oursForwardFlags(g), null, null);
        if (out.error) throw new Error(`forward: ${out.error}`);
        return out.logits ?? out.last_hidden_state;
      };
    },
  };
}

async function setupOrt(g) {
  const t0 = now();
  const ort = await import('/ort/ort.wasm.min.mjs');
  ort.env.wasm.numThreads = job.threads;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = `${location.origin}/ort/`;
  ort.env.logLevel = 'error';
  const file = job.precision === 'int8' ? 'model_quantized.onnx' : 'model.onnx';
  const r = await fetch(modelUrl(file));
  if (!r.ok) throw new Error(`${file}: HTTP ${r.status}`);
  const bytes = new Uint8Array(await r.arrayBuffer());
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['wasm'], graphOptimizationLevel: 'all',
  });
  const tReady = now();
  const outName = session.outputNames.includes('logits') ? 'logits' : session.outputNames[0];
  return {
    threadsGot: job.threads, initMs: null, loadMs: tReady - t0,
    info: { version: ort.env.versions?.common ?? null, inputs: session.inputNames, outputs: session.outputNames },
    weightBytes: null, wasmBytes: () => null,
    prepare(batch, seq) {
      const { ids, mask, types } = makeInputs(batch, seq, g.vocab);
      const dims = [batch, seq];
      const all = {
        input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), dims),
        attention_mask: new ort.Tensor('int64', BigInt64Array.from(mask, BigInt), dims),
        token_type_ids: new ort.Tensor('int64', BigInt64Array.from(types, BigInt), dims),
      };
      const feeds = Object.fromEntries(session.inputNames.map((n) => [n, all[n]]));
      return async () => {
        const out = await session.run(feeds);
        const data = out[outName].data;
        for (const k of Object.keys(out)) out[k].dispose?.();
        return data;
      };
    },
  };
}

async function main() {
  if (!crossOriginIsolated) throw new Error('page is not cross-origin isolated (no SharedArrayBuffer)');
  const g = geometry(await fetchJson(modelUrl('config.json')));
  const engine = job.engine === 'ours' ? await setupOurs(g) : await setupOrt(g);
  const result = {
    engine: job.engine, precision: job.precision, threads: job.threads, threads_effective: engine.threadsGot,
    build: engine.build ?? null, kernels: engine.kernels ?? null,
    load_ms: engine.loadMs ?? null, init_ms: engine.initMs ?? null, weight_bytes: engine.weightBytes ?? null,
    info: engine.info ?? null, user_agent: navigator.userAgent, shapes: [], cold: null,
  };
  const peak = async () => (typeof window.benchPeakMemory === 'function' ? window.benchPeakMemory() : null);
  result.rss_after_load_mb = await peak();
  // First runs right after load, before any warm-up (the JIT's tier-up: baseline code first).
  if (job.cold) {
    const [batch, seq] = job.cold.shape;
    const run = engine.prepare(batch, seq);
    const times = [];
    for (let i = 0; i < job.cold.runs; ++i) {
      const t = now();
      await run();
      times.push(now() - t);
    }
    result.cold = { batch, seq, times };
  }
  for (const [batch, seq] of job.shapes) {
    const run = engine.prepare(batch, seq);
    const sample = head8(await run());
    const times = await timeRuns(run, job.plan, now);
    result.shapes.push({ batch, seq, times, peak_rss_mb: await peak(), wasm_memory_mb: engine.wasmBytes() === null ? null : engine.wasmBytes() / 1048576, sample });
  }
  return result;
}

main().then(
  (r) => { window.__benchResult = r; },
  (e) => { window.__benchResult = { engine: job.engine, error: String(e?.stack ?? e) }; },
);
