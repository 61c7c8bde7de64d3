#!/usr/bin/env node
// `npm run bench`: Bertology vs onnxruntime-web 1.30.0 on identical weights (a benchmark, never a
// timed test). Writes bench/results.json (an array of rows) and the tables in bench/RESULTS.md.
//
//   node bench/run.mjs                      full matrix (Node + Chromium + GEMM), ~see RESULTS.md
//   node bench/run.mjs --quick              1×128 only, few runs, output under bench/out/quick/
//   node bench/run.mjs --only minilm,distilbert --shapes 1x128 --env node
//   options: --only M[,M]  --shapes BxS[,BxS]  --precision fp32|int8  --threads 1|2  --env node|chromium
//            --rounds N (fresh-process pairs per setting, default 2)  --min-runs N (timed runs per row,
//            over all rounds, default 20)  --target-seconds S (per shape per process, default 5)
//            --no-gemm  --no-chromium  --no-explain  --fresh (do not merge into the existing results.json)
//            --out-dir DIR (where results.json / RESULTS.md go; default bench/, --quick: bench/out/quick/)
//            --nice N (priority of the benchmark processes; default -10 as root, else 0)
//            --idle-wait S, --idle-cores C (wait ≤ S s before each process for other load < C cores)
//            --report-only (rewrite RESULTS.md from results.json, measure nothing)
//
// Method (details in RESULTS.md): each (engine, model, precision, threads) runs in its own fresh
// process (bench/child.mjs; in Chromium: its own browser launch, bench/browser/page.mjs), loads the
// model cold, then times each shape: warm-up, then ≥ the minimum number of runs (more while they fit in
// the target time). Per setting, `rounds` pairs of processes run interleaved (ours, peer, peer, ours …)
// and their runs are pooled, so drift of the machine hits both engines alike. Before every process we
// wait (bounded) for the machine to be idle, and we record how much CPU other processes used while it
// ran ("foreign CPU"), because timings on a shared 2-core machine are only as good as its quiet.

import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { forwardFlops, geometry, quantile } from './lib/common.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = path.resolve(ROOT, process.env.BERTOLOGY_SHARED ?? '../shared');
const OUT = path.join(ROOT, 'bench/out');
const MODELS_DIR = process.env.BERTOLOGY_BENCH_MODELS ?? path.join(OUT, 'models');
const PYTHON = '/usr/bin/python3';
const ORT_VERSION = '1.30.0';

const ALL_MODELS = ['distilbert-base-sst2-geometry', 'minilm-l6-geometry', 'bert-base-sst2-geometry', 'bert-mini-sst2'];
const CHROMIUM_MODELS = ['distilbert-base-sst2-geometry'];
// Ascending cost, so a process's running max RSS after a shape is (close to) that shape's own peak.
const ALL_SHAPES = [[1, 16], [1, 128], [1, 512], [8, 128]];

// ---------------------------------------------------------------------------------------------
// Options

function parseArgs(argv) {
  const o = {
    quick: false, only: null, shapes: null, precisions: ['fp32', 'int8'], threads: [1, 2], envs: ['node', 'chromium'],
    rounds: null, minRuns: null, targetSeconds: null, gemm: true, explain: true, fresh: false, outDir: null,
    idleCores: 0.3, idleWaitSeconds: 10,
    // Benchmark processes run at a raised priority when we may (root): both engines alike, so the
    // builds and tests of a shared machine disturb them less. Linux schedules sessions as autogroups
    // (plain nice only ranks processes inside one), so the driver re-runs itself in a session of its
    // own and gives that autogroup this nice value. --nice 0 turns it off.
    nice: typeof process.getuid === 'function' && process.getuid() === 0 ? -10 : 0,
  };
  const list = (v) => v.split(',').map((s) => s.trim()).filter(Boolean);
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--only') o.only = list(val());
    else if (a === '--shapes') o.shapes = list(val()).map((s) => s.split('x').map(Number));
    else if (a === '--precision') o.precisions = list(val());
    else if (a === '--threads') o.threads = list(val()).map(Number);
    else if (a === '--env') o.envs = list(val());
    else if (a === '--rounds') o.rounds = Number(val());
    else if (a === '--min-runs') o.minRuns = Number(val());
    else if (a === '--target-seconds') o.targetSeconds = Number(val());
    else if (a === '--no-gemm') o.gemm = false;
    else if (a === '--no-explain') o.explain = false;
    else if (a === '--no-chromium') o.envs = o.envs.filter((e) => e !== 'chromium');
    else if (a === '--fresh') o.fresh = true;
    else if (a === '--report-only') o.reportOnly = true;
    else if (a === '--out-dir') o.outDir = path.resolve(val());
    else if (a === '--idle-cores') o.idleCores = Number(val());
    else if (a === '--idle-wait') o.idleWaitSeconds = Number(val());
    else if (a === '--nice') o.nice = Number(val());
    else if (a === '--help' || a === '-h') {
      console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 19).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  o.models = o.only ? ALL_MODELS.filter((m) => o.only.some((f) => m.includes(f))) : ALL_MODELS;
  if (o.models.length === 0) throw new Error(`--only ${o.only}: no model matches (${ALL_MODELS.join(', ')})`);
  o.shapes ??= o.quick ? [[1, 128]] : ALL_SHAPES;
  o.shapes.sort((a, b) => a[0] * a[1] * (1 + a[1] / 768) - b[0] * b[1] * (1 + b[1] / 768));
  o.rounds ??= o.quick ? 1 : 2;
  o.minRuns ??= o.quick ? 5 : 20;
  o.targetSeconds ??= o.quick ? 1.5 : 5;
  o.outDir ??= o.quick ? path.join(OUT, 'quick') : path.join(ROOT, 'bench');
  // Merging keeps rows of settings this invocation does not measure (a partial re-run).
  o.merge = !o.fresh;
  o.plan = {
    warmup: o.quick ? 1 : 2,
    minRuns: Math.ceil(o.minRuns / o.rounds),
    maxRuns: o.quick ? 20 : 200,
    targetSeconds: o.targetSeconds,
  };
  return o;
}

// ---------------------------------------------------------------------------------------------
// Machine state: CPU use by everything else while a benchmark process runs.

function cpuJiffies() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
  return { busy: user + nice + system + irq + softirq + (steal ?? 0), total: f.reduce((a, b) => a + b, 0), idle: idle + iowait };
}
const HZ = 100;  // USER_HZ on Linux

async function busyCores(ms) {
  const a = cpuJiffies();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuJiffies();
  return (b.busy - a.busy) / HZ / (ms / 1000);
}

/** Waits (at most `maxSeconds`) until other processes use less than `cores` CPUs. */
async function waitIdle(cores, maxSeconds) {
  const t0 = Date.now();
  let busy = await busyCores(700);
  while (busy > cores && (Date.now() - t0) / 1000 < maxSeconds) busy = await busyCores(2000);
  return { waited_s: (Date.now() - t0) / 1000, busy_cores_before: busy };
}

// ---------------------------------------------------------------------------------------------
// Inputs: models, the built package, sizes.

function ensureModel(name) {
  const dir = path.join(MODELS_DIR, name);
  const needed = ['config.json', 'model.safetensors', 'model.onnx', 'model_quantized.onnx'];
  if (needed.every((f) => fs.existsSync(path.join(dir, f)))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`[bench] materializing ${name} (random seed 0, fp32 + int8 twin) into ${path.relative(ROOT, dir)}`);
  execFileSync(PYTHON, [path.join(SHARED, 'tools/materialize_onnx.py'), name, tmp, '--random', '0', '--quantize'],
    { stdio: ['ignore', 'inherit', 'inherit'] });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return dir;
}

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

/**
 * Copies dist/ into bench/out/dist-<hash>/ so a rebuild during the run cannot mix builds, and
 * records the package sizes.
 */
function snapshotDist() {
  const src = path.join(ROOT, 'dist');
  for (const f of ['bertology.mjs', 'bertology.wasm', 'bertology.worker.js']) {
    if (!fs.existsSync(path.join(src, f))) throw new Error(`dist/${f} missing: run npm run build first`);
  }
  const files = fs.readdirSync(src).filter((f) => fs.statSync(path.join(src, f)).isFile()).sort();
  const bytes = Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(src, f))]));
  const hash = sha256(Buffer.concat(files.map((f) => bytes[f]))).slice(0, 12);
  const dir = path.join(OUT, `dist-${hash}`);
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(`${dir}.tmp`, { recursive: true });
    for (const f of files) fs.writeFileSync(path.join(`${dir}.tmp`, f), bytes[f]);
    fs.renameSync(`${dir}.tmp`, dir);
  }
  const gz = (b) => zlib.gzipSync(b, { level: 9 }).length;
  return {
    dir,
    wasmFetchHook: /var fetch\s*=\s*undefined/.test(bytes['bertology.mjs'].toString('utf8')),
    wasm_sha256: sha256(bytes['bertology.wasm']),
    sizes: {
      wasm_bytes: bytes['bertology.wasm'].length,
      wasm_gzip_bytes: gz(bytes['bertology.wasm']),
      js_glue_bytes: bytes['bertology.mjs'].length,
      js_glue_gzip_bytes: gz(bytes['bertology.mjs']),
      worker_js_bytes: bytes['bertology.worker.js'].length,
      ...(bytes['bertology-st.wasm'] ? {
        st_wasm_bytes: bytes['bertology-st.wasm'].length, st_wasm_gzip_bytes: gz(bytes['bertology-st.wasm']),
        st_js_glue_bytes: bytes['bertology-st.mjs']?.length ?? null,
      } : {}),
    },
  };
}

function gitDescribe() {
  try {
    const head = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src', 'CMakeLists.txt', 'web'],
      { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head}+dirty` : head;
  } catch {
    return null;
  }
}

function machine() {
  const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? os.cpus()[0]?.model;
  let distro = '';
  try {
    distro = (fs.readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?(.*?)"?$/m) ?? [])[1] ?? '';
  } catch { /* not Linux */ }
  return { cpu, cores: os.availableParallelism?.() ?? os.cpus().length, mem_gb: Math.round(os.totalmem() / 2 ** 30),
    os: distro, node: process.version };
}

// ---------------------------------------------------------------------------------------------
// GEMM kernel micro-benchmark (bench/gemm_bench.cc, owned by the kernels engineer): built to wasm
// per its header comment and run in Node.

function runGemmBench() {
  const srcFile = path.join(ROOT, 'bench/gemm_bench.cc');
  if (!fs.existsSync(srcFile)) return { error: 'bench/gemm_bench.cc not present' };
  const dir = path.join(OUT, 'gemm');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "commonjs" }\n');  // emscripten's non-ES6 output
  const js = path.join(dir, 'gemm_bench.js');
  const kernels = fs.readdirSync(path.join(ROOT, 'src/kernels')).filter((f) => f.endsWith('.cc')).map((f) => `src/kernels/${f}`);
  const args = ['-O3', '-std=c++20', '-msimd128', '-pthread', '-fno-exceptions', '-Isrc', 'bench/gemm_bench.cc', ...kernels,
    'src/core/thread_pool.cc', '-sPTHREAD_POOL_SIZE=2', '-sEXIT_RUNTIME=1', '-sINITIAL_MEMORY=268435456', '-o', js];
  try {
    execFileSync('em++', args, { cwd: ROOT, env: { ...process.env, NODE_PATH: '/usr/share/nodejs' }, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    return { error: `em++ failed: ${String(e.stderr ?? e.message).split('\n').filter(Boolean).slice(0, 4).join(' | ')}` };
  }
  let out;
  try {
    const argv = [process.execPath, '--no-experimental-fetch', js];
    if (opts.nice) argv.unshift('nice', '-n', String(opts.nice));
    out = execFileSync(argv[0], argv.slice(1), { cwd: ROOT, encoding: 'utf8', timeout: 300000 });
  } catch (e) {
    return { error: `gemm_bench failed: ${String(e.stderr ?? e.message).slice(0, 300)}` };
  }
  const rows = [];
  for (const line of out.split('\n')) {
    const m = line.match(/^(\S+)\s+M=(\d+) K=(\d+) N=(\d+)\s+threads=(\d+):\s+([\d.]+) GFLOP\/s/);
    if (m) rows.push({ kernel: m[1], m: +m[2], k: +m[3], n: +m[4], threads: +m[5], gflops: +m[6] });
  }
  return { rows, raw: out.trim() };
}

// ---------------------------------------------------------------------------------------------
// Explanation cost (bench/explain.mjs: each method relative to one forward pass), run last.

function runExplainBench(measuredAt) {
  const json = path.join(OUT, 'explain.json');
  const argv = [process.execPath, path.join(ROOT, 'bench/explain.mjs'), '--json', json, ...(opts.quick ? ['--runs', '1'] : [])];
  if (opts.nice) argv.unshift('nice', '-n', String(opts.nice));
  try {
    console.log(execFileSync(argv[0], argv.slice(1), { cwd: ROOT, encoding: 'utf8', timeout: 600000 }).trim().split('\n').slice(0, -1).map((l) => `    ${l}`).join('\n'));
  } catch (e) {
    return { error: `bench/explain.mjs failed: ${String(e.stderr || e.message).split('\n').filter(Boolean).slice(-3).join(' | ')}` };
  }
  const result = { ...JSON.parse(fs.readFileSync(json, 'utf8')), measured_at: measuredAt };
  fs.writeFileSync(json, JSON.stringify(result, null, 1));
  return result;
}

// ---------------------------------------------------------------------------------------------
// Running one benchmark process (Node child or Chromium).

/** Live benchmark processes, killed if the driver is interrupted. */
const live = new Set();

function runNodeChild(job) {
  return new Promise((resolve) => {
    const argv = [process.execPath, path.join(ROOT, 'bench/child.mjs'), JSON.stringify(job)];
    if (opts.nice) argv.unshift('nice', '-n', String(opts.nice));
    const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), job.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      live.delete(child);
      const line = stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      if (!line) {
        resolve({ engine: job.engine, error: `child exited ${code} without a result: ${stderr.slice(-600)}` });
        return;
      }
      resolve(JSON.parse(line.slice('BENCH_RESULT '.length)));
    });
  });
}

let serverPromise = null;
async function runChromium(job, dist) {
  const { startServer } = await import('./lib/server.mjs');
  const { runInChromium } = await import('./lib/chromium.mjs');
  serverPromise ??= startServer({ root: ROOT, modelsDir: MODELS_DIR, distDir: dist.dir });
  const server = await serverPromise;
  try {
    return await runInChromium(job, server.url, { timeoutMs: job.timeoutMs, nice: opts.nice });
  } catch (e) {
    return { engine: job.engine, error: String(e?.message ?? e).slice(0, 1000) };
  }
}

async function measured(fn, engine) {
  const idle = await waitIdle(opts.idleCores, opts.idleWaitSeconds);
  const a = cpuJiffies();
  const self0 = process.cpuUsage();
  const t0 = Date.now();
  const result = await fn();
  const wall = (Date.now() - t0) / 1000;
  const b = cpuJiffies();
  const self = process.cpuUsage(self0);
  const busy = (b.busy - a.busy) / HZ;
  // Foreign CPU: everything the machine did besides the benchmark process(es) and this driver
  // (which serves the files to Chromium and drives it).
  const ours = result.cpu_seconds != null ? result.cpu_seconds + (self.user + self.system) / 1e6 : null;
  result.wall_s = wall;
  result.foreign_cpu = ours != null ? Math.max(0, (busy - ours) / wall) : null;
  Object.assign(result, idle);
  const tag = `${engine}`.padEnd(4);
  if (result.error) console.log(`    ${tag} ERROR ${result.error.split('\n')[0]}`);
  else if (result.unsupported) console.log(`    ${tag} unsupported: ${result.unsupported}`);
  else {
    const shapes = result.shapes.map((s) => `${s.batch}x${s.seq} ${quantile(s.times, 0.5).toFixed(1)} ms`).join(', ');
    console.log(`    ${tag} load ${result.load_ms.toFixed(0)} ms | ${shapes} | ${wall.toFixed(0)} s, foreign CPU ${(result.foreign_cpu ?? 0).toFixed(2)}`);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Rows

const median = (xs) => (xs.length ? quantile(xs, 0.5) : null);
const round = (x, d = 2) => (x == null || !Number.isFinite(x) ? null : Number(x.toFixed(d)));

function side(results, batch, seq) {
  const ok = results.filter((r) => !r.error && !r.unsupported);
  const shapes = ok.map((r) => r.shapes.find((s) => s.batch === batch && s.seq === seq)).filter(Boolean);
  const times = shapes.flatMap((s) => s.times);
  const problems = results.filter((r) => r.error || r.unsupported).map((r) => r.error ?? r.unsupported);
  if (times.length === 0) return { ms: null, problem: problems[0] ?? 'not measured' };
  const peaks = shapes.map((s) => s.peak_rss_mb).filter((x) => x != null);
  const wasm = shapes.map((s) => s.wasm_memory_mb).filter((x) => x != null);
  return {
    ms: median(times), p90: quantile(times, 0.9), min: Math.min(...times), runs: times.length,
    load_ms: median(ok.map((r) => r.load_ms)), init_ms: median(ok.map((r) => r.init_ms).filter((x) => x != null)),
    peak_rss_mb: peaks.length ? Math.max(...peaks) : null, wasm_memory_mb: wasm.length ? Math.max(...wasm) : null,
    weight_bytes: ok[0].weight_bytes ?? null, sample: shapes[0].sample, threads_effective: ok[0].threads_effective,
    foreign_cpu: Math.max(...ok.map((r) => r.foreign_cpu ?? 0)),
    problem: problems[0] ?? null,
  };
}

function makeRow({ env, model, precision, threads, batch, seq, ours, peer, g, dist, gemm, meta }) {
  const o = side(ours, batch, seq);
  const p = side(peer, batch, seq);
  const flops = forwardFlops(g, batch, seq);
  const gk = gemm?.rows?.find((r) => r.kernel.startsWith(precision === 'int8' ? 'q8' : 'f32') && r.n === 768 && r.threads === threads);
  const notes = [];
  if (o.ms == null) notes.push(`ours: ${o.problem}`);
  if (p.ms == null) notes.push(`onnxruntime-web: ${p.problem}`);
  if (env === 'chromium' && dist.wasmFetchHook) notes.push('ours: instantiateWasm hook (glue cannot fetch in browsers)');
  const foreign = Math.max(o.foreign_cpu ?? 0, p.foreign_cpu ?? 0);
  // Other load on the cores this setting does not use is tolerable; on the ones it uses it is not.
  if (foreign > meta.machine.cores - threads + 0.25) {
    notes.push(`machine busy: other processes used up to ${foreign.toFixed(2)} of ${meta.machine.cores} cores during the runs`);
  }
  let maxDiff = null;
  if (o.sample && p.sample) maxDiff = Math.max(...o.sample.map((v, i) => Math.abs(v - p.sample[i])));
  return {
    model, precision, threads, batch, seq, env,
    ours_ms: round(o.ms, 3), peer_ms: round(p.ms, 3),
    ratio: o.ms && p.ms ? round(p.ms / o.ms, 3) : null,
    ours_p90_ms: round(o.p90, 3), peer_p90_ms: round(p.p90, 3),
    ours_min_ms: round(o.min, 3), peer_min_ms: round(p.min, 3),
    ours_runs: o.runs ?? 0, peer_runs: p.runs ?? 0,
    ours_seq_per_s: o.ms ? round((batch * 1000) / o.ms, 2) : null,
    peer_seq_per_s: p.ms ? round((batch * 1000) / p.ms, 2) : null,
    ours_tokens_per_s: o.ms ? round((batch * seq * 1000) / o.ms, 0) : null,
    peer_tokens_per_s: p.ms ? round((batch * seq * 1000) / p.ms, 0) : null,
    ours_load_ms: round(o.load_ms, 1), peer_load_ms: round(p.load_ms, 1), ours_runtime_init_ms: round(o.init_ms, 1),
    ours_peak_rss_mb: round(o.peak_rss_mb, 1), peer_peak_rss_mb: round(p.peak_rss_mb, 1),
    ours_wasm_memory_mb: round(o.wasm_memory_mb, 1),
    ours_weight_bytes: o.weight_bytes,
    gflop: round(flops / 1e9, 4),
    ours_gflops: o.ms ? round(flops / o.ms / 1e6, 2) : null,
    peer_gflops: p.ms ? round(flops / p.ms / 1e6, 2) : null,
    gemm_kernel_gflops: gk ? gk.gflops : null,
    max_abs_diff_first8: round(maxDiff, 7),
    threads_effective: o.threads_effective ?? null,
    foreign_cpu: round(foreign, 2),
    peer: `onnxruntime-web ${ORT_VERSION} (wasm EP)`,
    ...dist.sizes,
    wasm_sha256: dist.wasm_sha256.slice(0, 16),
    commit: meta.commit,
    measured_at: meta.date,
    note: notes.join('; ') || null,
  };
}

const rowKey = (r) => (r.kind === 'ttfr' ? `ttfr|${r.engine}|${r.page}|${r.precision}|${r.network}`
  : `${r.env}|${r.model}|${r.precision}|${r.threads}|${r.batch}x${r.seq}`);

// ---------------------------------------------------------------------------------------------
// Report

function fmt(x, d = 1) {
  return x == null ? '—' : Number(x).toFixed(d);
}

function checks(rows, sizes) {
  const find = (q) => rows.find((r) => Object.entries(q).every(([k, v]) => r[k] === v));
  const out = [];
  const add = (what, value, limit, pass) => out.push({ what, value, limit, pass });
  for (const model of ['distilbert-base-sst2-geometry', 'minilm-l6-geometry']) {
    for (const precision of ['fp32', 'int8']) {
      for (const threads of [1, 2]) {
        const r = find({ env: 'node', model, precision, threads, batch: 1, seq: 128 });
        add(`ratio ${model} ${precision} ${threads}T 1×128 (Node)`, r?.ratio, '≥ 1.5', r?.ratio == null ? null : r.ratio >= 1.5);
      }
    }
  }
  for (const precision of ['fp32', 'int8']) {
    for (const threads of [1, 2]) {
      const r = find({ env: 'chromium', model: 'distilbert-base-sst2-geometry', precision, threads, batch: 1, seq: 128 });
      add(`ratio DistilBERT ${precision} ${threads}T 1×128 (Chromium)`, r?.ratio, '≥ 1.3', r?.ratio == null ? null : r.ratio >= 1.3);
    }
  }
  const t1 = find({ env: 'node', model: 'distilbert-base-sst2-geometry', precision: 'fp32', threads: 1, batch: 1, seq: 128 });
  const t2 = find({ env: 'node', model: 'distilbert-base-sst2-geometry', precision: 'fp32', threads: 2, batch: 1, seq: 128 });
  const speedup = t1?.ours_ms && t2?.ours_ms ? t1.ours_ms / t2.ours_ms : null;
  add('2 threads vs 1 thread, DistilBERT fp32 1×128 (ours, Node)', speedup == null ? null : round(speedup, 2), '≥ 1.8×',
    speedup == null ? null : speedup >= 1.8);
  add('dist/bertology.wasm raw size', `${(sizes.wasm_bytes / 1e6).toFixed(3)} MB`, '≤ 1 MB', sizes.wasm_bytes <= 1e6);
  const fp32 = [t1, t2].find((r) => r?.ours_peak_rss_mb != null);
  if (fp32) {
    const wb = fp32.ours_weight_bytes;
    const limit = wb ? (1.3 * wb + 32 * 2 ** 20) / 2 ** 20 : null;
    add(`peak memory DistilBERT fp32 1×128 (process max RSS, ${fp32.threads}T)`, `${fmt(fp32.ours_peak_rss_mb, 0)} MiB`,
      limit ? `≤ ${limit.toFixed(0)} MiB (1.3 × ${(wb / 2 ** 20).toFixed(0)} MiB + 32)` : 'weight bytes unknown',
      limit ? fp32.ours_peak_rss_mb <= limit : null);
    if (fp32.ours_wasm_memory_mb != null && limit) {
      add('  same, wasm memory only (excludes Node ≈ 40–50 MiB)', `${fmt(fp32.ours_wasm_memory_mb, 0)} MiB`, `≤ ${limit.toFixed(0)} MiB`,
        fp32.ours_wasm_memory_mb <= limit);
    }
  } else {
    add('peak memory DistilBERT fp32 1×128', null, '≤ 1.3 × weights + 32 MB', null);
  }
  const q = rows.find((r) => r.env === 'node' && r.model === 'distilbert-base-sst2-geometry' && r.precision === 'int8' && r.ours_weight_bytes);
  const f = rows.find((r) => r.env === 'node' && r.model === 'distilbert-base-sst2-geometry' && r.precision === 'fp32' && r.ours_weight_bytes);
  const wr = q && f ? q.ours_weight_bytes / f.ours_weight_bytes : null;
  add('int8 weight bytes / fp32 weight bytes (DistilBERT, ours)', wr == null ? null : round(wr, 3), '≤ 0.3', wr == null ? null : wr <= 0.3);
  return out;
}

function writeReport(allRows, ctx) {
  fs.mkdirSync(ctx.opts.outDir, { recursive: true });
  // Time-to-first-result rows (bench/ttfr.mjs) are kept in results.json; their table is bench/ttfr.md.
  const ttfrRows = allRows.filter((r) => r.kind === 'ttfr');
  const rows = allRows.filter((r) => r.kind !== 'ttfr');
  const order = (r) => [r.env === 'node' ? 0 : 1, ALL_MODELS.indexOf(r.model), r.precision === 'fp32' ? 0 : 1, r.threads,
    ALL_SHAPES.findIndex(([b, s]) => b === r.batch && s === r.seq)];
  rows.sort((a, b) => {
    const x = order(a), y = order(b);
    for (let i = 0; i < x.length; ++i) if (x[i] !== y[i]) return x[i] - y[i];
    return 0;
  });
  fs.writeFileSync(path.join(ctx.opts.outDir, 'results.json'), `${JSON.stringify([...rows, ...ttfrRows], null, 1)}\n`);

  const { sizes } = ctx.dist;
  const L = [];
  L.push('# Benchmark: Bertology vs onnxruntime-web');
  L.push('');
  L.push(`Generated by \`npm run bench\` (bench/run.mjs${ctx.argv.length ? ` ${ctx.argv.join(' ')}` : ''}); raw rows in ` +
    '`results.json`. A benchmark, not a test: nothing here fails a build.');
  L.push('');
  L.push(`- Date: ${ctx.meta.date} · commit ${ctx.meta.commit ?? '?'} · wasm sha256 ${ctx.dist.wasm_sha256.slice(0, 16)}`);
  L.push(`- Machine: ${ctx.meta.machine.cpu}, ${ctx.meta.machine.cores} vCPU, ${ctx.meta.machine.mem_gb} GB, ` +
    `${ctx.meta.machine.os}, Node ${ctx.meta.machine.node}${ctx.meta.chromium ? `, Chromium ${ctx.meta.chromium}` : ''}`);
  L.push(`- Peer: onnxruntime-web ${ORT_VERSION}, wasm execution provider (SIMD + threads build), ` +
    'graphOptimizationLevel "all", model.onnx (fp32) / model_quantized.onnx (dynamic int8, per-tensor).');
  L.push(`- Ours: dist/ (the npm package's wasm module) through its Embind API: FileStore + loadModel + forward.`);
  const uniq = (f) => [...new Set(rows.map(f))].join(', ');
  L.push(`- Coverage: ${rows.length} rows — env ${uniq((r) => r.env)}; models ${uniq((r) => r.model)}; ` +
    `shapes ${uniq((r) => `${r.batch}×${r.seq}`)}; precision ${uniq((r) => r.precision)}; threads ${uniq((r) => r.threads)}.`);
  const older = [...new Set(rows.map((r) => r.measured_at))].filter((d) => d !== ctx.meta.date);
  if (older.length) L.push(`- Some rows come from earlier partial runs (${older.join(', ')}); see \`measured_at\`/\`wasm_sha256\` per row.`);
  L.push('');
  L.push('## Package size');
  L.push('');
  L.push('| file | raw | gzip -9 |');
  L.push('|---|---:|---:|');
  L.push(`| dist/bertology.wasm | ${sizes.wasm_bytes.toLocaleString('en-US')} B | ${sizes.wasm_gzip_bytes.toLocaleString('en-US')} B |`);
  L.push(`| dist/bertology.mjs (JS glue) | ${sizes.js_glue_bytes.toLocaleString('en-US')} B | ${sizes.js_glue_gzip_bytes.toLocaleString('en-US')} B |`);
  L.push(`| dist/bertology.worker.js | ${sizes.worker_js_bytes.toLocaleString('en-US')} B | |`);
  if (sizes.st_wasm_bytes) {
    L.push(`| dist/bertology-st.wasm (single-threaded variant) | ${sizes.st_wasm_bytes.toLocaleString('en-US')} B | ${sizes.st_wasm_gzip_bytes.toLocaleString('en-US')} B |`);
    if (sizes.st_js_glue_bytes) L.push(`| dist/bertology-st.mjs | ${sizes.st_js_glue_bytes.toLocaleString('en-US')} B | |`);
  }
  L.push('');
  L.push('## Checks (issue 4)');
  L.push('');
  L.push('| check | measured | target | |');
  L.push('|---|---:|---|---|');
  for (const c of checks(rows, sizes)) {
    L.push(`| ${c.what} | ${c.value ?? '—'} | ${c.limit} | ${c.pass == null ? 'not measured' : c.pass ? 'pass' : '**FAIL**'} |`);
  }
  L.push('');
  for (const env of ['node', 'chromium']) {
    const envRows = rows.filter((r) => r.env === env);
    if (!envRows.length) continue;
    L.push(env === 'node' ? '## Node (one fresh `node` process per engine × setting)' :
      '## Headless Chromium (one fresh browser per engine × setting, main thread, cross-origin isolated)');
    L.push('');
    L.push('Latency in ms (median / p90 over all timed runs), ratio = onnxruntime-web median / ours median (> 1: we are faster). ' +
      'Load = from reading the files (and instantiating the wasm runtime) to a ready model, median over processes. ' +
      'Peak = max RSS of the process (Chromium: of the renderer), MiB. GF/s = whole-model effective GFLOP/s (see Method).');
    L.push('');
    L.push('| model | prec | thr | b×seq | ours med / p90 | peer med / p90 | ratio | ours GF/s | peer GF/s | ours seq/s | load ours / peer | peak ours / peer | runs | note |');
    L.push('|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const r of envRows) {
      const short = r.model.replace('-sst2-geometry', '').replace('-geometry', '').replace('-base', '-base');
      L.push(`| ${short} | ${r.precision} | ${r.threads} | ${r.batch}×${r.seq} | ${fmt(r.ours_ms)} / ${fmt(r.ours_p90_ms)} | ` +
        `${fmt(r.peer_ms)} / ${fmt(r.peer_p90_ms)} | ${r.ratio == null ? '—' : `**${r.ratio.toFixed(2)}**`} | ${fmt(r.ours_gflops)} | ` +
        `${fmt(r.peer_gflops)} | ${fmt(r.ours_seq_per_s)} | ${fmt(r.ours_load_ms, 0)} / ${fmt(r.peer_load_ms, 0)} | ` +
        `${fmt(r.ours_peak_rss_mb, 0)} / ${fmt(r.peer_peak_rss_mb, 0)} | ${r.ours_runs}/${r.peer_runs} | ${r.note ?? ''} |`);
    }
    L.push('');
  }
  L.push('## GEMM kernel (bench/gemm_bench.cc, wasm in Node, best of 20)');
  L.push('');
  if (ctx.gemm?.rows?.length) {
    L.push('| weights | M×K×N | threads | GFLOP/s |');
    L.push('|---|---|---:|---:|');
    for (const g of ctx.gemm.rows) L.push(`| ${g.kernel} | ${g.m}×${g.k}×${g.n} | ${g.threads} | ${g.gflops.toFixed(1)} |`);
    L.push('');
    L.push('`f32`/`q8` rows: LinearForward (packing, blocking, epilogue included) on BERT-base shapes. `*-ukernel` rows: ' +
      'the microkernel alone on one L1-resident 4-row tile × 64 columns (no driver, packing or epilogue) — the ceiling ' +
      'the linear layers can approach on this engine. Compare with the whole-model effective GF/s column above (1×128 ' +
      'rows): the gap is the time spent outside the linear layers (attention, softmax, GELU, LayerNorm, embeddings) ' +
      'plus smaller/odd-shaped matmuls.');
  } else {
    L.push(`Not measured: ${ctx.gemm?.error ?? 'skipped (--no-gemm)'}`);
  }
  L.push('');
  const ex = ctx.explain;
  L.push('## Explanation cost (bench/explain.mjs, `npm run bench:explain`)');
  L.push('');
  if (ex?.methods?.length) {
    L.push(`${ex.model}, one SST-2 text of ${ex.seq} tokens, ${ex.threads} thread(s), dist/ as built, median of the runs after ` +
      `a warm-up; one forward pass ${ex.forward_ms} ms${ex.backward_setup_ms != null ? `; the first explanation of a model also ` +
      `builds the backward weights (+${ex.backward_setup_ms} ms)` : ''}. Measured ${ex.measured_at ?? '?'}.`);
    L.push('');
    L.push('| method | ms | × forward | sequences forward / backward |');
    L.push('|---|---:|---:|---:|');
    for (const m of ex.methods) L.push(`| ${m.method} | ${m.ms} | ${m.x_forward} | ${m.forward_sequences} / ${m.backward_sequences} |`);
  } else {
    L.push(`Not measured: ${ex?.error ?? 'skipped (--no-explain, and no earlier bench/out/explain.json)'}`);
  }
  L.push('');
  // The soak and time-to-first-result figures (bench/soak.mjs, bench/ttfr.mjs write bench/soak.md,
  // bench/ttfr.md) are kept in this report as they are.
  for (const md of ['soak.md', 'ttfr.md']) {
    const file = path.join(ROOT, 'bench', md);
    if (fs.existsSync(file)) {
      L.push(fs.readFileSync(file, 'utf8').trim());
      L.push('');
    }
  }
  L.push('## Method');
  L.push('');
  L.push('- Weights: `../shared/tools/materialize_onnx.py <model> bench/out/models/<model> --random 0 --quantize` ' +
    '(cached, reused when present): one seeded random draw written both as model.safetensors (ours) and model.onnx ' +
    '(onnxruntime-web), plus the int8 twin model_quantized.onnx. The fp32 outputs of the two engines agree ' +
    '(`max_abs_diff_first8` in results.json, first 8 output values at the first shape).');
  L.push('- int8: ours loads the same safetensors with the int8 load option ' +
    `(\`loadModel(store, '{"dtype":"q8"}')\`); a build without it is reported as not measured (the row keeps ` +
    '`ours_ms: null`), never as fp32 timings. onnxruntime-web runs model_quantized.onnx.');
  L.push(`- Inputs: batch × seq random word-piece ids ([CLS] … [SEP], fixed seed per shape, identical for both ` +
    'engines), attention mask all ones, token types zero (passed when the graph has them).');
  L.push(`- Processes: one per (engine, model, precision, threads) — thread counts are fixed per process in both ` +
    `engines; shapes run in ascending cost inside it. ${ctx.opts.rounds} round(s) per setting, alternating which ` +
    'engine goes first, runs pooled. Per shape and process: ' +
    `${ctx.opts.plan.warmup} warm-up run(s) (one when a run takes over 1 s), then at least ${ctx.opts.plan.minRuns} timed runs, more while they fit in ` +
    `${ctx.opts.plan.targetSeconds} s (at most ${ctx.opts.plan.maxRuns}); so every row has ≥ ${ctx.opts.plan.minRuns * ctx.opts.rounds} runs per engine.`);
  L.push('- Timing: `performance.now()` around one `forward` (ours, synchronous, includes copying the ids in and ' +
    'logits/hidden states out) or one awaited `session.run` (onnxruntime-web, output read). Median and p90 over the pooled runs.');
  L.push('- What each engine returns: the classifiers (DistilBERT, bert-mini) give logits only in both engines — ours is ' +
    'asked for the head\'s output only (forward flag 4, what the sentiment pipeline asks for), so its last layer runs on ' +
    'the [CLS] rows alone (identical logits; the whole-model GF/s still counts the full model); the base models (MiniLM, ' +
    'BERT-base geometries) return last_hidden_state in both. One-thread rows of ours run the single-threaded build ' +
    '(dist/bertology-st.mjs, what the package loads for `threads: 1` in Node and browsers), two-thread rows the pthreads build ' +
    '(Chromium rows measured before 2026-11-26 15:00 used the pthreads build for one thread as well).');
  L.push('- Throughput = batch / median latency (sequences/s); tokens/s is in results.json.');
  L.push('- Whole-model effective GFLOP/s = 2·M·N·K of every linear layer (Q, K, V, attention output, FFN in/out over ' +
    'batch·seq tokens) + the two attention matmuls (QKᵀ, P·V: 2·2·batch·seq²·hidden per layer) + the classifier ' +
    'head on [CLS] rows, divided by the median latency. Element-wise work is not counted.');
  L.push('- Memory: Node — the child\'s `process.resourceUsage().maxRSS` after each shape (running max; Node itself is ' +
    '≈ 40–50 MiB of it) and, for ours, the wasm memory size; Chromium — the renderer\'s VmHWM from /proc. ' +
    'onnxruntime-web needs the whole .onnx in a JS buffer before creating the session; we stream files into wasm memory.');
  L.push('- Noise control: before each process we wait (≤ ' + `${ctx.opts.idleWaitSeconds} s) for other processes ` +
    `to use < ${ctx.opts.idleCores} cores; \`foreign_cpu\` records the CPU (in cores) other processes used while each ` +
    'row was measured; rows where that load reached the cores the setting uses say so in their note. ' +
    (ctx.opts.nice ? `The benchmark ran in its own scheduler autogroup at nice ${ctx.opts.nice} (both engines alike). ` : '') +
    'Ratios from the same setting are robust to slow drift (interleaved pairs), absolute times less so.');
  L.push('- Chromium: Debian\'s /usr/bin/chromium (headless, `--no-sandbox --disable-gpu …`) driven by playwright-core; ' +
    'pages, dist/, onnxruntime-web\'s dist/ and the model files come from a 127.0.0.1 server with ' +
    'COOP same-origin + COEP require-corp. Both engines run on the page\'s main thread, loaded as a page loads them (our dist/bertology.mjs; ' +
    'onnxruntime-web\'s dist/ort.wasm.min.mjs with `env.wasm.wasmPaths` at its own dist/). ' +
    '(Builds whose glue hides `fetch` in browsers — web/emscripten-pre.js before its fix — get an `instantiateWasm` hook ' +
    'doing the same `instantiateStreaming` the glue would; rows say so in their note.)');
  L.push('');
  L.push('## Reproduce');
  L.push('');
  L.push('```sh');
  L.push('npm run setup          # apt: python3-onnx python3-numpy chromium; npm: onnxruntime-web, playwright-core');
  L.push('npm run build');
  L.push('npm run bench          # full matrix; --quick for a short pass; --help for filters');
  L.push('npm run bench -- --only distilbert,minilm --shapes 1x128 --env node   # the checked rows only');
  L.push('```');
  L.push('');
  if (ctx.elapsed) L.push(`This run took ${(ctx.elapsed / 60).toFixed(1)} min.`);
  L.push('');
  fs.writeFileSync(path.join(ctx.opts.outDir, 'RESULTS.md'), L.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// Main

const opts = parseArgs(process.argv.slice(2));

/**
 * With --nice: re-runs this driver as the leader of a new session (so a new scheduler autogroup)
 * and sets that autogroup's nice. Returns true when this process only waits for that re-run.
 */
function inOwnAutogroup() {
  if (!opts.nice || process.env.BERTOLOGY_BENCH_AUTOGROUP || !fs.existsSync('/proc/self/autogroup')) return false;
  const child = spawn(process.execPath, process.argv.slice(1), {
    detached: true, stdio: 'inherit', env: { ...process.env, BERTOLOGY_BENCH_AUTOGROUP: '1' },
  });
  try {
    fs.writeFileSync(`/proc/${child.pid}/autogroup`, String(opts.nice));
  } catch (e) {
    console.log(`[bench] cannot set the autogroup priority (${e.message}); running at normal priority`);
  }
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code) => process.exit(code ?? 1));
  return true;
}

/** --report-only: RESULTS.md from the rows already in results.json. */
function reportOnly() {
  const rows = JSON.parse(fs.readFileSync(path.join(opts.outDir, 'results.json'), 'utf8'));
  const newest = rows.filter((r) => r.kind !== 'ttfr').sort((a, b) => String(b.measured_at).localeCompare(String(a.measured_at)))[0];
  const sizes = Object.fromEntries(Object.entries(newest).filter(([k]) => /_bytes$/.test(k) && k !== 'ours_weight_bytes'));
  const gemmCache = path.join(OUT, 'gemm.json');
  const prev = fs.existsSync(path.join(OUT, 'last-run.json')) ? JSON.parse(fs.readFileSync(path.join(OUT, 'last-run.json'), 'utf8')) : {};
  writeReport(rows, {
    opts: { ...opts, ...(prev.opts ?? {}), outDir: opts.outDir },
    meta: { ...(prev.meta ?? { machine: machine() }), date: newest.measured_at, commit: newest.commit },
    dist: { sizes, wasm_sha256: newest.wasm_sha256 },
    gemm: fs.existsSync(gemmCache) ? JSON.parse(fs.readFileSync(gemmCache, 'utf8')) : null,
    explain: fs.existsSync(path.join(OUT, 'explain.json')) ? JSON.parse(fs.readFileSync(path.join(OUT, 'explain.json'), 'utf8')) : null,
    argv: prev.argv ?? [], elapsed: prev.elapsed,
  });
  console.log(`[bench] rewrote ${path.relative(ROOT, path.join(opts.outDir, 'RESULTS.md'))} from results.json`);
}

async function main() {
  if (opts.reportOnly) return reportOnly();
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      for (const c of live) c.kill('SIGKILL');
      process.exit(130);
    });
  }
  const t0 = Date.now();
  const meta = { date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC', commit: gitDescribe(), machine: machine() };
  const dist = snapshotDist();
  console.log(`[bench] dist snapshot ${path.relative(ROOT, dist.dir)} (wasm ${dist.sizes.wasm_bytes} B, gzip ${dist.sizes.wasm_gzip_bytes} B)`);
  const dirs = Object.fromEntries(opts.models.map((m) => [m, ensureModel(m)]));
  const configs = Object.fromEntries(opts.models.map((m) => [m, JSON.parse(fs.readFileSync(path.join(dirs[m], 'config.json'), 'utf8'))]));

  let gemm = null;
  const gemmCache = path.join(OUT, 'gemm.json');
  if (opts.gemm) {
    console.log('[bench] GEMM kernel micro-benchmark (bench/gemm_bench.cc → wasm)');
    await waitIdle(opts.idleCores, opts.idleWaitSeconds);
    gemm = runGemmBench();
    console.log(gemm.error ? `    ${gemm.error}` : gemm.raw.split('\n').map((l) => `    ${l}`).join('\n'));
    fs.writeFileSync(gemmCache, JSON.stringify(gemm, null, 1));
  } else if (fs.existsSync(gemmCache)) {
    gemm = JSON.parse(fs.readFileSync(gemmCache, 'utf8'));
  }

  const resultsFile = path.join(opts.outDir, 'results.json');
  const rows = new Map();
  if (opts.merge && fs.existsSync(resultsFile)) {
    for (const r of JSON.parse(fs.readFileSync(resultsFile, 'utf8'))) rows.set(rowKey(r), r);
  }
  const ctx = { opts, meta, dist, gemm, argv: process.argv.slice(2) };
  const timeoutMs = 45 * 60 * 1000;

  for (const env of opts.envs) {
    const models = env === 'chromium' ? opts.models.filter((m) => CHROMIUM_MODELS.includes(m)) : opts.models;
    for (const model of models) {
      const g = geometry(configs[model]);
      for (const precision of opts.precisions) {
        for (const threads of opts.threads) {
          console.log(`[bench] ${env} ${model} ${precision} ${threads}T: ${opts.shapes.map((s) => s.join('x')).join(' ')}`);
          const res = { ours: [], ort: [] };
          for (let r = 0; r < opts.rounds; ++r) {
            for (const engine of r % 2 === 0 ? ['ours', 'ort'] : ['ort', 'ours']) {
              const job = { engine, model, dir: dirs[model], distDir: dist.dir, precision, threads, shapes: opts.shapes,
                plan: opts.plan, timeoutMs, wasmFetchHook: env === 'chromium' && dist.wasmFetchHook };
              const result = await measured(() => (env === 'node' ? runNodeChild(job) : runChromium(job, dist)), engine);
              if (result.browser_version) meta.chromium = result.browser_version;
              res[engine].push(result);
            }
          }
          for (const [batch, seq] of opts.shapes) {
            const row = makeRow({ env, model, precision, threads, batch, seq, ours: res.ours, peer: res.ort, g, dist, gemm, meta });
            rows.set(rowKey(row), row);
            console.log(`  → ${batch}x${seq}: ours ${fmt(row.ours_ms)} ms, peer ${fmt(row.peer_ms)} ms, ratio ${fmt(row.ratio, 2)}`);
          }
          writeReport([...rows.values()], ctx);  // after every setting, so a long run leaves partial results
        }
      }
    }
  }
  const explainCache = path.join(OUT, 'explain.json');
  if (opts.explain) {
    console.log('[bench] explanation cost (bench/explain.mjs)');
    await waitIdle(opts.idleCores, opts.idleWaitSeconds);
    ctx.explain = runExplainBench(meta.date);
    if (ctx.explain.error) console.log(`    ${ctx.explain.error}`);
  } else if (fs.existsSync(explainCache)) {
    ctx.explain = JSON.parse(fs.readFileSync(explainCache, 'utf8'));
  }
  ctx.elapsed = (Date.now() - t0) / 1000;
  writeReport([...rows.values()], ctx);
  fs.writeFileSync(path.join(OUT, 'last-run.json'), JSON.stringify({
    opts: { rounds: opts.rounds, plan: opts.plan, idleWaitSeconds: opts.idleWaitSeconds, idleCores: opts.idleCores, nice: opts.nice },
    meta, argv: ctx.argv, elapsed: ctx.elapsed,
  }, null, 1));
  if (serverPromise) await (await serverPromise).close();
  console.log(`[bench] wrote ${path.relative(ROOT, resultsFile)} and RESULTS.md in ${(ctx.elapsed / 60).toFixed(1)} min`);
}

if (!inOwnAutogroup()) {
  main().catch((e) => {
    console.error(e?.stack ?? e);
    process.exit(1);
  });
}
