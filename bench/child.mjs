// One benchmark process (spawned by bench/run.mjs, never run by tests): one engine, one model, one
// precision, one thread count — thread counts are fixed per process in both engines. Loads the
// model cold, then times every requested batch × seq shape in order, and prints one JSON line
// prefixed "BENCH_RESULT " on stdout.
//
//   node bench/child.mjs '{"engine":"ours"|"ort","dir":"bench/out/models/x","precision":"fp32"|"int8",
//                          "threads":1,"shapes":[[1,16],[1,128]],"plan":{...}}'
//
// ours: the Embind module of the runtime the package picks (js/runtime.js getRuntime: relaxed-SIMD
// build where supported), model.safetensors + config.json streamed straight into the engine's FileStore; forward(ids, types, mask, b, s, flags, null, null)
// with flags 4 (logits only: no last_hidden_state, last layer on the [CLS] rows — what the
// sentiment pipeline asks for) for classifiers, 0 (last_hidden_state) for base models.
// ort:  onnxruntime-web (wasm backend) on model.onnx / model_quantized.onnx, int64 inputs built once
// per shape; session.run(feeds).

import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { geometry, makeInputs, timeRuns, head8, oursForwardFlags } from './lib/common.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const job = JSON.parse(process.argv[2]);
const now = () => performance.now();
const config = JSON.parse(fs.readFileSync(path.join(job.dir, 'config.json'), 'utf8'));
const g = geometry(config);

async function setupOurs() {
  const t0 = now();
  // The package's own runtime (a snapshot of js/ + dist/): it picks the build as for any user — the
  // relaxed-SIMD twin where this Node has relaxed SIMD (22+), the single-threaded build for one thread —
  // unless job.relaxed is false (env.relaxedSimd = false).
  const pkg = job.pkgDir ?? ROOT;
  const { getRuntime, env } = await import(pathToFileURL(path.join(pkg, 'js', 'index.js')).href);
  if (job.relaxed === false) env.relaxedSimd = false;
  const runtime = await getRuntime({ threads: job.threads });
  const M = runtime.module;
  const got = runtime.threads;
  const tInit = now();
  const store = new M.FileStore();
  let weightFileBytes = 0;
  for (const name of ['config.json', 'model.safetensors']) {
    const file = path.join(job.dir, name);
    const size = fs.statSync(file).size;
    if (name === 'model.safetensors') weightFileBytes = size;
    // Stream the file: the engine pulls each tensor through this reader into its packed form,
    // so the raw checkpoint is never held in wasm memory (as the package's js/files.js does).
    const fd = fs.openSync(file, 'r');
    store.addSource(name, size, (offset, length, view) => {
      try { return fs.readSync(fd, view, 0, length, offset); } catch { return -1; }
    });
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
    threadsGot: got,
    build: runtime.build,
    kernels: runtime.kernels(),
    initMs: tInit - t0,
    loadMs: tReady - t0,
    info,
    weightBytes: info.weight_bytes,
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

async function setupOrt() {
  const t0 = now();
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = job.threads;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  const file = path.join(job.dir, job.precision === 'int8' ? 'model_quantized.onnx' : 'model.onnx');
  const bytes = fs.readFileSync(file);
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['wasm'], graphOptimizationLevel: 'all',
  });
  const tReady = now();
  const outName = session.outputNames.includes('logits') ? 'logits' : session.outputNames[0];
  return {
    threadsGot: job.threads,
    initMs: null,
    loadMs: tReady - t0,
    info: { version: ort.env.versions?.common ?? null, inputs: session.inputNames, outputs: session.outputNames },
    weightBytes: null,
    modelFileBytes: bytes.length,
    wasmBytes: () => null,
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
  const engine = job.engine === 'ours' ? await setupOurs() : await setupOrt();
  const result = {
    engine: job.engine, precision: job.precision, threads: job.threads, threads_effective: engine.threadsGot,
    node: process.version, build: engine.build ?? null, kernels: engine.kernels ?? null,
    load_ms: engine.loadMs ?? null, init_ms: engine.initMs ?? null,
    rss_after_load_mb: process.resourceUsage().maxRSS / 1024,
    weight_bytes: engine.weightBytes ?? null, info: engine.info ?? null, shapes: [], cold: null,
  };
  // First runs right after load, before any warm-up (the JIT's tier-up: baseline code first).
  if (job.cold) {
    const [batch, seq] = job.cold.shape;
    const run = engine.prepare(batch, seq);
    const times = [];
    for (let i = 0; i < job.cold.runs; ++i) {
      const t0 = now();
      await run();
      times.push(now() - t0);
    }
    result.cold = { batch, seq, times };
  }
  for (const [batch, seq] of job.shapes) {
    const run = engine.prepare(batch, seq);
    const out = await run();
    const sample = head8(out);
    const times = await timeRuns(run, job.plan, now);
    result.shapes.push({
      batch, seq, times,
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
      wasm_memory_mb: engine.wasmBytes() === null ? null : engine.wasmBytes() / 1048576,
      sample,
    });
  }
  const cpu = process.cpuUsage();
  result.cpu_seconds = (cpu.user + cpu.system) / 1e6;
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`, () => process.exit(0));
}

main().catch((e) => {
  process.stdout.write(`BENCH_RESULT ${JSON.stringify({ engine: job.engine, error: String(e?.stack ?? e) })}\n`,
    () => process.exit(1));
});
