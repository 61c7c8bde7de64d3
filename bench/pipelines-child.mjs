// One process of the pipeline benchmark (spawned by bench/pipelines.mjs): one engine, one task, one
// precision. Prints "BENCH_RESULT {json}".
//   ours: the package's pipeline() (a snapshot of js/ + dist/), in this Node (relaxed-SIMD build in 22+)
//   tjs:  @huggingface/transformers 4.3.1 pipeline() with device 'cpu' — onnxruntime-node, the native peer
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { TASKS, runTask } from './lib/pipeline-tasks.mjs';

const job = JSON.parse(process.argv[2]);
const def = TASKS[job.task];
const data = JSON.parse(readFileSync(job.dataFile, 'utf8'));
const now = () => performance.now();

async function create() {
  if (job.engine === 'ours') {
    const { pipeline, env } = await import(pathToFileURL(path.join(job.pkgDir, 'js', 'index.js')).href);
    if (job.relaxed === false) env.relaxedSimd = false;
    const p = await pipeline(def.task, job.modelDirs.ours[def.model], { threads: job.threads, dtype: job.precision });
    return { p, info: { build: p.model?.runtime?.build ?? null, threads: p.model?.runtime?.threads ?? null } };
  }
  const { pipeline, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = job.modelDirs.tjsRoot;
  const p = await pipeline(def.task, def.model, { dtype: job.precision, device: 'cpu' });
  return { p, info: { device: 'cpu (onnxruntime-node)' } };
}

const t0 = now();
const { p, info } = await create();
const loadMs = now() - t0;
const r = await runTask(p, def, data, { warmup: job.warmup, now });
await p.dispose?.();
const cpu = process.cpuUsage();
process.stdout.write(`BENCH_RESULT ${JSON.stringify({ engine: job.engine, node: process.version, load_ms: loadMs, ...info, ...r,
  cpu_seconds: (cpu.user + cpu.system) / 1e6 })}\n`, () => process.exit(0));
