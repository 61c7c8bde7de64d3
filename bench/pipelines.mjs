#!/usr/bin/env node
// `npm run bench:pipelines`: what users call — pipeline() with tokenization and post-processing — ours
// vs transformers.js 4.3.1 on identical weights. Writes bench/pipelines.json and bench/pipelines.md
// (which bench/run.mjs includes in RESULTS.md). A benchmark, never a timed test.
//
//   node bench/pipelines.mjs [--env node22,node24,node20,chromium] [--tasks sentiment-1,...] [--precision fp32,q8]
//                            [--rounds N] [--threads N] [--nice N] [--idle-wait S]
//
// Tasks (bench/lib/pipeline-tasks.mjs): sentiment over the first 200 SST-2 dev sentences one at a time
// and in batches of 8 (DistilBERT SST-2 geometry), feature-extraction with mean pooling over the same
// 200 (MiniLM-L6 geometry) one at a time and in batches of 8, question-answering over 50 SQuAD
// questions (bert-mini-squad). In Node the peer is transformers.js on onnxruntime-node (native code,
// all cores): the "native peer". In Chromium it is transformers.js on onnxruntime-web (wasm, SIMD,
// 2 threads, its wasm served locally). Each (engine, env, task, precision) runs in a fresh process /
// browser: pipeline creation (load), 16 warm-up calls, then every call timed; rounds alternate which
// engine goes first.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { quantile } from './lib/common.mjs';
import { NODE_BINS, HZ, OUT, ROOT, cpuJiffies, gitDescribe, inOwnAutogroup, machine, snapshotPkg, waitIdle } from './lib/node.mjs';
import { TASKS } from './lib/pipeline-tasks.mjs';

const SHARED = path.resolve(ROOT, process.env.BERTOLOGY_SHARED ?? '../shared');
const TJS_MODELS = path.join(OUT, 'tjs');
const DATA_FILE = path.join(OUT, 'pipelines-data.json');
const TJS_VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/@huggingface/transformers/package.json'), 'utf8')).version;
const TJS_ORT = path.join(ROOT, 'node_modules/@huggingface/transformers/node_modules/onnxruntime-web');
const ENV_NAME = { node20: 'Node 20', node22: 'Node 22', node24: 'Node 24', chromium: 'Chromium' };

function parseArgs(argv) {
  const o = { envs: ['node22', 'chromium', 'node24', 'node20'], tasks: Object.keys(TASKS), precisions: ['fp32', 'q8'], rounds: 2,
    threads: 2, warmup: 16, nice: typeof process.getuid === 'function' && process.getuid() === 0 ? -10 : 0, idleWait: 10, idleCores: 0.3 };
  const list = (v) => v.split(',').map((x) => x.trim()).filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => argv[++i];
    if (a === '--env') o.envs = list(val());
    else if (a === '--tasks') o.tasks = list(val());
    else if (a === '--precision') o.precisions = list(val());
    else if (a === '--rounds') o.rounds = Number(val());
    else if (a === '--threads') o.threads = Number(val());
    else if (a === '--nice') o.nice = Number(val());
    else if (a === '--idle-wait') o.idleWait = Number(val());
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}
const opts = parseArgs(process.argv.slice(2));

function prepareData() {
  const lines = fs.readFileSync(path.join(SHARED, 'data/sst2/dev.tsv'), 'utf8').trim().split('\n').slice(1);
  const sentences = lines.slice(0, 200).map((l) => l.slice(0, l.lastIndexOf('\t')));
  const squad = JSON.parse(fs.readFileSync(path.join(SHARED, 'data/squad/dev-v1.1.json'), 'utf8'));
  const qa = [];
  for (const article of squad.data.slice(40)) {  // held out from bert-mini-squad's training
    for (const p of article.paragraphs) for (const q of p.qas) if (qa.length < 50) qa.push({ question: q.question, context: p.context });
  }
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(DATA_FILE, JSON.stringify({ sentences, squad: qa }));
}

function ensureModels() {
  for (const name of ['distilbert-base-sst2-geometry', 'minilm-l6-geometry']) {
    const dir = path.join(TJS_MODELS, name);
    if (fs.existsSync(path.join(dir, 'onnx', 'model_quantized.onnx'))) continue;
    console.log(`[pipelines] materializing ${name} (random seed 0, transformers.js layout)`);
    execFileSync('/usr/bin/python3', [path.join(SHARED, 'tools/materialize_onnx.py'), name, dir, '--random', '0', '--quantize',
      '--layout', 'transformers.js'], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  const qa = path.join(TJS_MODELS, 'bert-mini-squad');
  if (!fs.existsSync(path.join(qa, 'onnx', 'model_quantized.onnx'))) {
    console.log('[pipelines] building the QA ONNX model (bench/tools/make_qa_onnx.py)');
    execFileSync('/usr/bin/python3', [path.join(ROOT, 'bench/tools/make_qa_onnx.py'), SHARED, qa], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  return {
    tjsRoot: `${TJS_MODELS}/`,
    ours: {
      'distilbert-base-sst2-geometry': path.join(TJS_MODELS, 'distilbert-base-sst2-geometry'),
      'minilm-l6-geometry': path.join(TJS_MODELS, 'minilm-l6-geometry'),
      'bert-mini-squad': path.join(SHARED, 'models', 'bert-mini-squad'),
    },
  };
}

function runNode(job) {
  return new Promise((resolve) => {
    const argv = [NODE_BINS[job.env], path.join(ROOT, 'bench/pipelines-child.mjs'), JSON.stringify(job)];
    if (opts.nice) argv.unshift('nice', '-n', String(opts.nice));
    const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20 * 60 * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      resolve(line ? JSON.parse(line.slice(13)) : { engine: job.engine, error: `exit ${code}: ${stderr.slice(-500)}` });
    });
  });
}

let server = null;
async function runBrowser(job, pkgDir) {
  const { startServer } = await import('./lib/server.mjs');
  const { runInChromium } = await import('./lib/chromium.mjs');
  server ??= await startServer({
    root: ROOT, modelsDir: path.join(OUT, 'models'), pkgDir,
    extra: { '/tjs/': TJS_MODELS, '/shared-models/': path.join(SHARED, 'models'), '/out/': OUT,
      '/tjs-lib/': path.join(ROOT, 'node_modules/@huggingface/transformers/dist'), '/tjs-ort/': path.join(TJS_ORT, 'dist') },
  });
  try {
    return await runInChromium(job, server.url, { timeoutMs: 20 * 60 * 1000, nice: opts.nice, page: '/bench/browser/pipelines.html' });
  } catch (e) {
    return { engine: job.engine, error: String(e?.message ?? e).slice(0, 1000) };
  }
}

async function measured(fn) {
  const idle = await waitIdle(opts.idleCores, opts.idleWait);
  const a = cpuJiffies();
  const t0 = Date.now();
  const result = await fn();
  const wall = (Date.now() - t0) / 1000;
  const b = cpuJiffies();
  const busy = (b.busy - a.busy) / HZ;
  result.foreign_cpu = result.cpu_seconds != null ? Math.max(0, (busy - result.cpu_seconds) / wall) : null;
  Object.assign(result, idle);
  return result;
}

const median = (xs) => (xs.length ? quantile(xs, 0.5) : null);
const r2 = (x, d = 2) => (x == null || !Number.isFinite(x) ? null : Number(x.toFixed(d)));

/** The two engines' results agree: labels / answers equal, scores and embedding values within 1e-3. */
function agreement(a, b) {
  const x = JSON.stringify(a?.digests ?? null), y = JSON.stringify(b?.digests ?? null);
  if (x === y) return 'identical digests';
  let maxDiff = 0, mismatch = 0;
  const walk = (u, v) => {
    if (typeof u === 'number' && typeof v === 'number') maxDiff = Math.max(maxDiff, Math.abs(u - v));
    else if (Array.isArray(u) && Array.isArray(v) && u.length === v.length) u.forEach((e, i) => walk(e, v[i]));
    else if (u && v && typeof u === 'object' && typeof v === 'object') for (const k of Object.keys(u)) walk(u[k], v[k]);
    else if (u !== v) mismatch++;
  };
  walk(a?.digests, b?.digests);
  return mismatch ? `${mismatch} label/answer mismatches in the first 10 calls` : `max |Δ| ${maxDiff.toExponential(1)} (first 10 calls)`;
}

function writeReport(rows, meta) {
  fs.writeFileSync(path.join(ROOT, 'bench', 'pipelines.json'), `${JSON.stringify(rows, null, 1)}\n`);
  const L = [];
  L.push('## Pipelines: Bertology vs transformers.js (bench/pipelines.mjs, `npm run bench:pipelines`)');
  L.push('');
  L.push(`What users call, tokenization and post-processing included: \`pipeline(task, model)\` of each package, ` +
    `transformers.js ${TJS_VERSION} on identical weights (its ONNX layout via \`materialize_onnx.py --layout transformers.js\`; QA: ` +
    'bench/tools/make_qa_onnx.py). In Node, transformers.js runs onnxruntime-node — native code on all cores: the **native peer**; ' +
    'in Chromium it runs onnxruntime-web (wasm, SIMD, 2 threads, its wasm served from 127.0.0.1). Ours: 2 threads, the build ' +
    'the runtime picks (relaxed SIMD in Node 22/24 and Chromium). fp32 = model.onnx / fp32 weights; q8 = model_quantized.onnx / ' +
    `our dtype q8. Per process: load, ${opts.warmup} warm-up calls, then every call timed; ${opts.rounds} fresh processes per engine, ` +
    `alternating; ms per call (median over calls; total = the whole pass). Measured ${meta.date} on a shared 2-core machine` +
    ' (medians; may be re-run on a quiet one).');
  L.push('');
  L.push('| env | task | calls | prec | ours ms/call (median) | peer ms/call (median) | ratio | ours / peer total s | load ours / peer ms | ours build | agreement |');
  L.push('|---|---|---:|---|---:|---:|---:|---:|---:|---|---|');
  for (const r of rows) {
    L.push(`| ${ENV_NAME[r.env]} | ${r.task} | ${r.calls} | ${r.precision} | ${r.ours_ms ?? '—'} | ${r.peer_ms ?? '—'} | ` +
      `${r.ratio == null ? '—' : `**${r.ratio.toFixed(2)}**`} | ${r.ours_total_s ?? '—'} / ${r.peer_total_s ?? '—'} | ` +
      `${r.ours_load_ms ?? '—'} / ${r.peer_load_ms ?? '—'} | ${r.ours_build ?? ''} | ${r.agreement}${r.note ? `; ${r.note}` : ''} |`);
  }
  L.push('');
  const checks = rows.filter((r) => r.env === 'chromium');
  if (checks.length) {
    L.push(`Check (issue 18): ≥ 1.5× transformers.js in Chromium on each pipeline row — ` +
      checks.map((r) => `${r.task} ${r.precision} ${r.ratio == null ? 'not measured' : r.ratio >= 1.5 ? 'pass' : '**FAIL**'} (${r.ratio ?? '—'})`).join(', ') + '.');
    L.push('');
  }
  fs.writeFileSync(path.join(ROOT, 'bench', 'pipelines.md'), L.join('\n'));
}

async function main() {
  prepareData();
  const modelDirs = ensureModels();
  const pkg = snapshotPkg();
  const meta = { date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC', commit: gitDescribe(), machine: machine() };
  const file = path.join(ROOT, 'bench', 'pipelines.json');
  const rows = new Map();
  if (fs.existsSync(file)) for (const r of JSON.parse(fs.readFileSync(file, 'utf8'))) rows.set(`${r.env}|${r.task}|${r.precision}`, r);
  for (const env of opts.envs) {
    for (const task of opts.tasks) {
      for (const precision of opts.precisions) {
        const res = { ours: [], tjs: [] };
        console.log(`[pipelines] ${env} ${task} ${precision}`);
        for (let round = 0; round < opts.rounds; round++) {
          for (const engine of round % 2 === 0 ? ['ours', 'tjs'] : ['tjs', 'ours']) {
            const job = { engine, env, task, precision, threads: opts.threads, warmup: opts.warmup, pkgDir: pkg.dir, dataFile: DATA_FILE, modelDirs };
            const r = await measured(() => (env === 'chromium' ? runBrowser(job, pkg.dir) : runNode(job)));
            console.log(r.error ? `    ${engine} ERROR ${r.error.split('\n')[0]}` :
              `    ${engine} load ${r.load_ms.toFixed(0)} ms, ${median(r.times).toFixed(2)} ms/call, total ${(r.total_ms / 1000).toFixed(2)} s`);
            res[engine].push(r);
          }
        }
        const side = (list) => {
          const ok = list.filter((x) => !x.error);
          const times = ok.flatMap((x) => x.times);
          return { ok, ms: median(times), total: median(ok.map((x) => x.total_ms)), load: median(ok.map((x) => x.load_ms)),
            error: list.find((x) => x.error)?.error ?? null, foreign: Math.max(0, ...ok.map((x) => x.foreign_cpu ?? 0)) };
        };
        const o = side(res.ours), p = side(res.tjs);
        const row = {
          env, task, precision, calls: o.ok[0]?.times.length ?? p.ok[0]?.times.length ?? null,
          ours_ms: r2(o.ms), peer_ms: r2(p.ms), ratio: o.ms && p.ms ? r2(p.ms / o.ms, 3) : null,
          ours_total_s: r2(o.total / 1000), peer_total_s: r2(p.total / 1000), ours_load_ms: r2(o.load, 0), peer_load_ms: r2(p.load, 0),
          ours_build: o.ok[0]?.build ?? null, ours_node: o.ok[0]?.node ?? null,
          peer: env === 'chromium' ? `transformers.js ${TJS_VERSION} (onnxruntime-web wasm, ${opts.threads} threads)` :
            `transformers.js ${TJS_VERSION} (onnxruntime-node, native)`,
          agreement: o.ok[0] && p.ok[0] ? agreement(o.ok[0], p.ok[0]) : '—',
          foreign_cpu: r2(Math.max(o.foreign, p.foreign)), shared_machine: true,
          note: [o.error && `ours: ${o.error.split('\n')[0]}`, p.error && `peer: ${p.error.split('\n')[0]}`].filter(Boolean).join('; ') || null,
          commit: meta.commit, measured_at: meta.date,
        };
        rows.set(`${env}|${task}|${precision}`, row);
        console.log(`  → ratio ${row.ratio} (${row.agreement})`);
        const order = (r) => [['node22', 'node24', 'node20', 'chromium'].indexOf(r.env), Object.keys(TASKS).indexOf(r.task), r.precision === 'fp32' ? 0 : 1];
        writeReport([...rows.values()].sort((a, b) => {
          const x = order(a), y = order(b);
          for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
          return 0;
        }), meta);
      }
    }
  }
  if (server) await server.close();
}

if (!inOwnAutogroup(opts.nice)) {
  main().catch((e) => {
    console.error(e?.stack ?? e);
    process.exit(1);
  });
}
