// The browser half of the pipeline benchmark (bench/pipelines.mjs), on the page's main thread, cross-
// origin isolated, both engines as a page uses them:
//   ours: the package's pipeline() (/pkg/js/index.js; its runtime picks the relaxed-SIMD build here),
//         models by URL (/tjs/<model>/ — config.json, tokenizer.json, model.safetensors; QA: /shared-models/)
//   tjs:  transformers.js 4.3.1 (its browser bundle) on onnxruntime-web (wasm, SIMD + threads), its own
//         wasm files served from /tjs-ort/, models from /tjs/<model>/onnx/ (env.localModelPath).
import { TASKS, runTask } from '/bench/lib/pipeline-tasks.mjs';

const job = JSON.parse(new URLSearchParams(location.search).get('job'));
const def = TASKS[job.task];
const now = () => performance.now();

async function create() {
  if (job.engine === 'ours') {
    const { pipeline, env } = await import('/pkg/js/index.js');
    if (job.relaxed === false) env.relaxedSimd = false;
    const base = def.model === 'bert-mini-squad' ? '/shared-models/bert-mini-squad/' : `/tjs/${def.model}/`;
    const p = await pipeline(def.task, base, { threads: job.threads, dtype: job.precision });
    return { p, info: { build: p.model.runtime.build, threads: p.model.runtime.threads } };
  }
  const { pipeline, env } = await import('/tjs-lib/transformers.min.js');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = '/tjs/';
  env.useBrowserCache = false;
  env.backends.onnx.wasm.wasmPaths = '/tjs-ort/';
  env.backends.onnx.wasm.numThreads = job.threads;
  env.backends.onnx.wasm.proxy = false;
  const p = await pipeline(def.task, def.model, { dtype: job.precision, device: 'wasm' });
  return { p, info: { device: 'wasm', threads: env.backends.onnx.wasm.numThreads } };
}

async function main() {
  if (!crossOriginIsolated) throw new Error('page is not cross-origin isolated');
  const data = await (await fetch('/out/pipelines-data.json')).json();
  const t0 = now();
  const { p, info } = await create();
  const loadMs = now() - t0;
  const r = await runTask(p, def, data, { warmup: job.warmup, now });
  await p.dispose?.();
  return { engine: job.engine, load_ms: loadMs, user_agent: navigator.userAgent, ...info, ...r };
}

main().then(
  (r) => { window.__benchResult = r; },
  (e) => { window.__benchResult = { engine: job.engine, error: String(e?.stack ?? e) }; },
);
