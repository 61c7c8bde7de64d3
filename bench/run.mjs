#!/usr/bin/env node
// `npm run bench`: Bertology vs onnxruntime-web 1.30.0 on identical weights (a benchmark, never a
// timed test). Writes bench/results.json (an array of rows) and the tables in bench/RESULTS.md.
//
//   node bench/run.mjs                      full matrix (Node + Chromium + GEMM), ~see RESULTS.md
//   node bench/run.mjs --quick              1×128 only, few runs, output under bench/out/quick/
//   node bench/run.mjs --only minilm,distilbert --shapes 1x128 --env node
//   options: --only M[,M]  --shapes BxS[,BxS]  --precision fp32|int8  --threads 1|2
//            --env node22,node24,node20,chromium (node: the three Nodes)
//            --rounds N (fresh-process pairs per setting, default 2)  --min-runs N (timed runs per row,
//            over all rounds, default 20)  --target-seconds S (per shape per process, default 5)
//            --no-gemm  --no-chromium  --no-explain  --fresh (do not merge into the existing results.json)
//            --no-relaxed (ours on the SIMD128 builds everywhere: env.relaxedSimd = false)
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
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { forwardFlops, geometry, quantile } from './lib/common.mjs';
import { NODE_BINS, HZ, OUT, ROOT, cpuJiffies, gitDescribe, inOwnAutogroup, machine, snapshotPkg, waitIdle } from './lib/node.mjs';

const SHARED = path.resolve(ROOT, process.env.BERTOLOGY_SHARED ?? '../shared');
const MODELS_DIR = process.env.BERTOLOGY_BENCH_MODELS ?? path.join(OUT, 'models');
const PYTHON = '/usr/bin/python3';
const ORT_VERSION = '1.30.0';

const ALL_MODELS = ['distilbert-base-sst2-geometry', 'minilm-l6-geometry', 'bert-base-sst2-geometry', 'bert-mini-sst2',
  'deberta-v3-base-geometry', 'modernbert-base-geometry'];
// Geometries of released models without an ONNX twin in ../shared: random weights from
// bench/lib/geometry_weights.py, ours only (no peer, ratio —), at these shapes. In the peer's place, each
// round runs ours on BASE_MODEL with the same setting (interleaved: ours, base, base, ours …), so the
// GFLOP/s comparison with BERT-base is like for like (same build, same machine state).
const GEOMETRY_ONLY = { 'deberta-v3-base-geometry': { shapes: [[1, 128]] }, 'modernbert-base-geometry': { shapes: [[1, 128]] } };
const BASE_MODEL = 'bert-base-sst2-geometry';
/** The bert-base-sst2-geometry row of a setting (set in main, over the rows measured or merged so far). */
let baseRowFor = (/** @type {any} */ _setting) => /** @type {any} */ (null);
const CHROMIUM_MODELS = ['distilbert-base-sst2-geometry', 'minilm-l6-geometry', 'bert-base-sst2-geometry'];
const ALL_ENVS = ['node22', 'node24', 'node20', 'chromium'];
const isNodeEnv = (env) => env in NODE_BINS;
// The shape whose first runs after load are timed separately (the JIT's tier-up), and how many.
const COLD = { shape: [1, 128], runs: 20 };
// Ascending cost, so a process's running max RSS after a shape is (close to) that shape's own peak.
const ALL_SHAPES = [[1, 16], [1, 128], [1, 512], [8, 128]];

// ---------------------------------------------------------------------------------------------
// Options

function parseArgs(argv) {
  const o = {
    quick: false, only: null, shapes: null, precisions: ['fp32', 'int8'], threads: [1, 2], envs: ALL_ENVS,
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
    else if (a === '--env') o.envs = list(val()).flatMap((e) => (e === 'node' ? ['node22', 'node24', 'node20'] : [e]));
    else if (a === '--rounds') o.rounds = Number(val());
    else if (a === '--min-runs') o.minRuns = Number(val());
    else if (a === '--target-seconds') o.targetSeconds = Number(val());
    else if (a === '--no-gemm') o.gemm = false;
    else if (a === '--no-explain') o.explain = false;
    else if (a === '--no-chromium') o.envs = o.envs.filter((e) => e !== 'chromium');
    else if (a === '--no-relaxed') o.relaxed = false;
    else if (a === '--fresh') o.fresh = true;
    else if (a === '--report-only') o.reportOnly = true;
    else if (a === '--out-dir') o.outDir = path.resolve(val());
    else if (a === '--idle-cores') o.idleCores = Number(val());
    else if (a === '--idle-wait') o.idleWaitSeconds = Number(val());
    else if (a === '--nice') o.nice = Number(val());
    else if (a === '--help' || a === '-h') {
      console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 21).join('\n'));
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

// ---------------------------------------------------------------------------------------------
// Inputs: models, the built package, sizes.

function ensureModel(name) {
  const dir = path.join(MODELS_DIR, name);
  if (GEOMETRY_ONLY[name]) {
    if (['config.json', 'model.safetensors'].every((f) => fs.existsSync(path.join(dir, f)))) return dir;
    const tmp = `${dir}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    console.log(`[bench] generating ${name} (random seed 0, no ONNX twin) into ${path.relative(ROOT, dir)}`);
    execFileSync(PYTHON, [path.join(ROOT, 'bench/lib/geometry_weights.py'), name, tmp], { stdio: ['ignore', 'inherit', 'inherit'] });
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
    return dir;
  }
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

// ---------------------------------------------------------------------------------------------
// GEMM kernel micro-benchmark (bench/gemm_bench.cc): the CMake targets gemm_bench_simd128 and
// gemm_bench_relaxed (build/wasm/bench/), run under each Node that can run them.

function runGemmBench() {
  try {
    execFileSync('cmake', ['--build', path.join(ROOT, 'build/wasm'), '--target', 'gemm_bench_simd128', 'gemm_bench_relaxed', '-j2'],
      { cwd: ROOT, env: { ...process.env, NODE_PATH: '/usr/share/nodejs' }, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    return { error: `building gemm_bench failed: ${String(e.stderr ?? e.message).split('\n').filter(Boolean).slice(-4).join(' | ')}` };
  }
  const rows = [];
  const raw = [];
  const runs = [['node20', 'simd128'], ['node22', 'simd128'], ['node22', 'relaxed'], ['node24', 'simd128'], ['node24', 'relaxed']];
  for (const [node, build] of runs) {
    if (!opts.envs.includes(node) || (build === 'relaxed' && opts.relaxed === false)) continue;
    let out;
    try {
      const argv = [NODE_BINS[node], path.join(ROOT, `build/wasm/bench/gemm_bench_${build}.js`)];
      if (opts.nice) argv.unshift('nice', '-n', String(opts.nice));
      out = execFileSync(argv[0], argv.slice(1), { cwd: ROOT, encoding: 'utf8', timeout: 300000 });
    } catch (e) {
      raw.push(`${node} ${build}: failed: ${String(e.stderr ?? e.message).slice(0, 300)}`);
      continue;
    }
    raw.push(`${node} ${build}:\n${out.trim()}`);
    for (const line of out.split('\n')) {
      const m = line.match(/^(\S+)(?: \(([^)]*)\))?\s+M=(\d+) K=(\d+) N=(\d+)\s+threads=(\d+):\s+([\d.]+) GFLOP\/s/);
      if (m) rows.push({ node, build, kernel: m[1], detail: m[2] ?? null, m: +m[3], k: +m[4], n: +m[5], threads: +m[6], gflops: +m[7] });
    }
  }
  return { rows, raw: raw.join('\n') };
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
    const argv = [NODE_BINS[job.env], path.join(ROOT, 'bench/child.mjs'), JSON.stringify(job)];
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
  serverPromise ??= startServer({ root: ROOT, modelsDir: MODELS_DIR, pkgDir: dist.dir });
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
  result.load_avg_1m = os.loadavg()[0];
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
  // First runs after load (cold, before any warm-up), per process: run 1 and the first N pooled.
  const colds = ok.map((r) => r.cold).filter((c) => c && c.batch === batch && c.seq === seq);
  return {
    cold_first_ms: colds.length ? median(colds.map((c) => c.times[0])) : null,
    cold_median_ms: colds.length ? median(colds.flatMap((c) => c.times)) : null,
    cold_runs: colds.length ? colds[0].times.length : 0,
    build: ok[0].build ?? null, int8_kernel: ok[0].kernels?.int8 ?? null, node: ok[0].node ?? null,
    ms: median(times), p90: quantile(times, 0.9), min: Math.min(...times), runs: times.length,
    load_ms: median(ok.map((r) => r.load_ms)), init_ms: median(ok.map((r) => r.init_ms).filter((x) => x != null)),
    peak_rss_mb: peaks.length ? Math.max(...peaks) : null, wasm_memory_mb: wasm.length ? Math.max(...wasm) : null,
    weight_bytes: ok[0].weight_bytes ?? null, sample: shapes[0].sample, threads_effective: ok[0].threads_effective,
    foreign_cpu: Math.max(...ok.map((r) => r.foreign_cpu ?? 0)),
    problem: problems[0] ?? null,
  };
}

function makeRow({ env, model, precision, threads, batch, seq, ours, peer, base, baseG, g, dist, gemm, meta }) {
  const o = side(ours, batch, seq);
  const p = side(peer, batch, seq);
  const flops = forwardFlops(g, batch, seq);
  // Ours on BERT-base, interleaved with a geometry-only model's processes (same setting, same session).
  const b = base?.length ? side(base, batch, seq) : null;
  const baseGflops = b?.ms && baseG ? forwardFlops(baseG, batch, seq) / b.ms / 1e6 : null;
  const gk = gemm?.rows?.find((r) => r.node === (isNodeEnv(env) ? env : 'node24') && r.build === (o.build?.endsWith('relaxed') ? 'relaxed' : 'simd128') &&
    r.kernel.startsWith(precision === 'int8' ? 'q8' : 'f32') && r.n === 768 && r.threads === threads);
  const notes = [];
  if (o.ms == null) notes.push(`ours: ${o.problem}`);
  if (GEOMETRY_ONLY[model]) {
    if (baseGflops) {
      notes.push(`no ONNX twin: ours only; ${round(flops / o.ms / 1e6, 1)} GF/s = ${round(flops / o.ms / 1e6 / baseGflops, 2)}× ` +
        `ours on bert-base in the same session (${round(baseGflops, 1)} GF/s, ${round(b.ms, 1)} ms, interleaved)`);
    } else {
      const row = baseRowFor({ env, precision, threads, batch, seq });
      notes.push('no ONNX twin: ours only' + (row?.ours_gflops && o.ms
        ? `; ${round(flops / o.ms / 1e6, 2)} GF/s = ${round(flops / o.ms / 1e6 / row.ours_gflops, 2)}× the bert-base row's ${row.ours_gflops}` : ''));
    }
  } else if (p.ms == null) notes.push(`onnxruntime-web: ${p.problem}`);
  const foreign = Math.max(o.foreign_cpu ?? 0, p.foreign_cpu ?? 0, b?.foreign_cpu ?? 0);
  // Other load on the cores this setting does not use is tolerable; on the ones it uses it is not.
  if (foreign > meta.machine.cores - threads + 0.25) {
    notes.push(`machine busy: other processes used up to ${foreign.toFixed(2)} of ${meta.machine.cores} cores during the runs`);
  }
  let maxDiff = null;
  if (o.sample && p.sample) maxDiff = Math.max(...o.sample.map((v, i) => Math.abs(v - p.sample[i])));
  return {
    model, precision, threads, batch, seq, env,
    ours_build: o.build ?? null, ours_int8_kernel: precision === 'int8' ? o.int8_kernel ?? null : null, node_version: o.node ?? p.node ?? null,
    ours_ms: round(o.ms, 3), peer_ms: round(p.ms, 3),
    ratio: o.ms && p.ms ? round(p.ms / o.ms, 3) : null,
    ours_p90_ms: round(o.p90, 3), peer_p90_ms: round(p.p90, 3),
    ours_min_ms: round(o.min, 3), peer_min_ms: round(p.min, 3),
    ours_cold_first_ms: round(o.cold_first_ms, 3), peer_cold_first_ms: round(p.cold_first_ms, 3),
    ours_cold_median_ms: round(o.cold_median_ms, 3), peer_cold_median_ms: round(p.cold_median_ms, 3),
    cold_runs: o.cold_runs || p.cold_runs || 0,
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
    peer: GEOMETRY_ONLY[model] ? null : `onnxruntime-web ${ORT_VERSION} (wasm EP)`,
    ...(b ? { base_model: BASE_MODEL, base_ms: round(b.ms, 3), base_p90_ms: round(b.p90, 3), base_runs: b.runs ?? 0,
      base_gflops: round(baseGflops, 2), gflops_vs_base: o.ms && baseGflops ? round(flops / o.ms / 1e6 / baseGflops, 3) : null } : {}),
    load_avg_1m: round(Math.max(...[...ours, ...peer, ...(base ?? [])].map((r) => r.load_avg_1m ?? 0)), 2),
    ...dist.sizes,
    wasm_sha256: dist.wasm_sha256.slice(0, 16),
    relaxed_wasm_sha256: dist.relaxed_wasm_sha256?.slice(0, 16) ?? null,
    shared_machine: true,
    commit: meta.commit,
    measured_at: meta.date,
    note: notes.join('; ') || null,
  };
}

const rowKey = (r) => (r.kind === 'ttfr' ? `ttfr|${r.engine}|${r.page}|${r.precision}|${r.network}|${r.wasm ?? ''}`
  : `${r.env}|${r.model}|${r.precision}|${r.threads}|${r.batch}x${r.seq}`);

// ---------------------------------------------------------------------------------------------
// Report

function fmt(x, d = 1) {
  return x == null ? '—' : Number(x).toFixed(d);
}

/** A markdown table: column names ending in ':' are right-aligned (the ':' is not shown). */
function pushTable(L, columns, rows, cells) {
  L.push(`| ${columns.map((c) => c.replace(/:$/, '')).join(' | ')} |`);
  L.push(`|${columns.map((c) => (c.endsWith(':') ? '---:' : '---')).join('|')}|`);
  for (const r of rows) L.push(`| ${cells(r).join(' | ')} |`);
}

/** A row's build and, for int8, the kernel it timed fastest ("single-relaxed (c4 dot16)"). */
const buildLabel = (r) => `${r.ours_build ?? `? (${String(r.measured_at ?? '').slice(0, 10)})`}${r.ours_int8_kernel ? ` (${r.ours_int8_kernel.replace('wasmrelaxedsimd ', '').replace('wasmsimd ', '')})` : ''}`;
const MODEL_SHORT = (m) => m.replace('-sst2-geometry', '').replace('-geometry', '');
const ENV_NAME = { node20: 'Node 20', node22: 'Node 22', node24: 'Node 24', chromium: 'Chromium' };

/** The targets of issue 18 (and the size / memory checks kept from issue 4). */
function checks(rows, sizes) {
  const find = (q) => rows.find((r) => Object.entries(q).every(([k, v]) => r[k] === v));
  const out = [];
  const add = (what, value, limit, pass) => out.push({ what, value, limit, pass });
  const ratioCheck = (what, r, limit) => add(what, r?.ratio, `≥ ${limit}`, r?.ratio == null ? null : r.ratio >= limit);
  // int8 1×128, DistilBERT and MiniLM, 1 and 2 threads: ≥ 1.5 in Chromium and Node 22/24 (Node 20: reported).
  for (const env of ['node22', 'node24', 'chromium', 'node20']) {
    for (const model of ['distilbert-base-sst2-geometry', 'minilm-l6-geometry']) {
      for (const threads of [1, 2]) {
        const r = find({ env, model, precision: 'int8', threads, batch: 1, seq: 128 });
        if (env === 'node20') add(`int8 ${MODEL_SHORT(model)} ${threads}T 1×128 (${ENV_NAME[env]}, reported)`, r?.ratio, 'as it falls', null);
        else ratioCheck(`int8 ${MODEL_SHORT(model)} ${threads}T 1×128 (${ENV_NAME[env]})`, r, 1.5);
      }
    }
  }
  // fp32: every row ≥ 1.5 in Node 22 and Chromium, 1×128 rows ≥ 1.8.
  for (const env of ['node22', 'chromium']) {
    for (const model of ['distilbert-base-sst2-geometry', 'minilm-l6-geometry', 'bert-base-sst2-geometry']) {
      for (const threads of [1, 2]) {
        for (const [batch, seq] of ALL_SHAPES) {
          const r = find({ env, model, precision: 'fp32', threads, batch, seq });
          const limit = batch === 1 && seq === 128 ? 1.8 : 1.5;
          ratioCheck(`fp32 ${MODEL_SHORT(model)} ${threads}T ${batch}×${seq} (${ENV_NAME[env]})`, r, limit);
        }
      }
    }
  }
  const t1 = find({ env: 'node22', model: 'distilbert-base-sst2-geometry', precision: 'fp32', threads: 1, batch: 1, seq: 128 });
  const t2 = find({ env: 'node22', model: 'distilbert-base-sst2-geometry', precision: 'fp32', threads: 2, batch: 1, seq: 128 });
  const speedup = t1?.ours_ms && t2?.ours_ms ? t1.ours_ms / t2.ours_ms : null;
  add('2 threads vs 1 thread, DistilBERT fp32 1×128 (ours, Node 22)', speedup == null ? null : round(speedup, 2), '≥ 1.8×',
    speedup == null ? null : speedup >= 1.8);
  for (const [key, file] of [['wasm_bytes', 'bertology.wasm'], ['st_wasm_bytes', 'bertology-st.wasm'],
    ['relaxed_wasm_bytes', 'bertology-relaxed.wasm'], ['st_relaxed_wasm_bytes', 'bertology-st-relaxed.wasm']]) {
    if (sizes[key] != null) add(`dist/${file} raw size`, `${(sizes[key] / 1e6).toFixed(3)} MB`, '≤ 1 MB', sizes[key] <= 1e6);
  }
  const fp32 = [t1, t2].find((r) => r?.ours_peak_rss_mb != null);
  if (fp32) {
    const wb = fp32.ours_weight_bytes;
    const limit = wb ? (1.3 * wb + 32 * 2 ** 20) / 2 ** 20 : null;
    add(`peak memory DistilBERT fp32 1×128 (process max RSS, ${fp32.threads}T, Node 22)`, `${fmt(fp32.ours_peak_rss_mb, 0)} MiB`,
      limit ? `≤ ${limit.toFixed(0)} MiB (1.3 × ${(wb / 2 ** 20).toFixed(0)} MiB + 32)` : 'weight bytes unknown',
      limit ? fp32.ours_peak_rss_mb <= limit : null);
  }
  const q = rows.find((r) => r.env === 'node22' && r.model === 'distilbert-base-sst2-geometry' && r.precision === 'int8' && r.ours_weight_bytes);
  const f = rows.find((r) => r.env === 'node22' && r.model === 'distilbert-base-sst2-geometry' && r.precision === 'fp32' && r.ours_weight_bytes);
  const wr = q && f ? q.ours_weight_bytes / f.ours_weight_bytes : null;
  add('int8 weight bytes / fp32 weight bytes (DistilBERT, ours)', wr == null ? null : round(wr, 3), '≤ 0.3', wr == null ? null : wr <= 0.3);
  return out;
}

function writeReport(allRows, ctx) {
  fs.mkdirSync(ctx.opts.outDir, { recursive: true });
  // Time-to-first-result rows (bench/ttfr.mjs) are kept in results.json; their table is bench/ttfr.md.
  const ttfrRows = allRows.filter((r) => r.kind === 'ttfr');
  const rows = allRows.filter((r) => r.kind !== 'ttfr');
  const order = (r) => [ALL_ENVS.indexOf(r.env), ALL_MODELS.indexOf(r.model), r.precision === 'fp32' ? 0 : 1, r.threads,
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
    '`results.json`. A benchmark, not a test: nothing here fails a build. **Measured on a shared 2-core machine** ' +
    '(other engineers built and tested meanwhile): engines interleaved, medians reported, each row\'s `foreign_cpu` ' +
    'says how much else ran; the figures may be re-run on a quiet machine.');
  L.push('');
  L.push(`- Date: ${ctx.meta.date} · commit ${ctx.meta.commit ?? '?'} · wasm sha256 ${ctx.dist.wasm_sha256.slice(0, 16)}` +
    (ctx.dist.relaxed_wasm_sha256 ? ` · relaxed ${ctx.dist.relaxed_wasm_sha256.slice(0, 16)}` : ''));
  const nodes = [...new Set(rows.map((r) => r.node_version).filter(Boolean))].sort().join(', ');
  L.push(`- Machine: ${ctx.meta.machine.cpu}, ${ctx.meta.machine.cores} vCPU, ${ctx.meta.machine.mem_gb} GB, ` +
    `${ctx.meta.machine.os}; Node ${nodes || ctx.meta.machine.node}${ctx.meta.chromium ? `; Chromium ${ctx.meta.chromium}` : ''}`);
  L.push(`- Peer: onnxruntime-web ${ORT_VERSION}, wasm execution provider (SIMD + threads build), ` +
    'graphOptimizationLevel "all", model.onnx (fp32) / model_quantized.onnx (dynamic int8, per-tensor). Pipeline rows ' +
    '(transformers.js) are in their own section below.');
  L.push('- Ours: the package as a user gets it (js/ `getRuntime` picks the build: relaxed-SIMD twin where the JS engine ' +
    'has relaxed SIMD — Node 22/24, Chromium —, SIMD128 in Node 20; single-threaded build for one thread) through its ' +
    'Embind API: FileStore + loadModel + forward. The `build` column names it (and the int8 kernel it timed fastest).');
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
  const sz = (n) => (n == null ? '—' : `${n.toLocaleString('en-US')} B`);
  L.push(`| dist/bertology.wasm (threads, SIMD128) | ${sz(sizes.wasm_bytes)} | ${sz(sizes.wasm_gzip_bytes)} |`);
  L.push(`| dist/bertology-st.wasm (single-threaded, SIMD128) | ${sz(sizes.st_wasm_bytes)} | ${sz(sizes.st_wasm_gzip_bytes)} |`);
  L.push(`| dist/bertology-relaxed.wasm (threads, relaxed SIMD) | ${sz(sizes.relaxed_wasm_bytes)} | ${sz(sizes.relaxed_wasm_gzip_bytes)} |`);
  L.push(`| dist/bertology-st-relaxed.wasm (single-threaded, relaxed SIMD) | ${sz(sizes.st_relaxed_wasm_bytes)} | ${sz(sizes.st_relaxed_wasm_gzip_bytes)} |`);
  L.push(`| dist/bertology.mjs (JS glue, each build has one) | ${sz(sizes.js_glue_bytes)} | ${sz(sizes.js_glue_gzip_bytes)} |`);
  L.push('');
  L.push('## Checks (issue 18)');
  L.push('');
  L.push('| check | measured | target | |');
  L.push('|---|---:|---|---|');
  for (const c of checks(rows, sizes)) {
    L.push(`| ${c.what} | ${c.value ?? '—'} | ${c.limit} | ${c.pass == null ? (c.limit === 'as it falls' ? 'info' : 'not measured') : c.pass ? 'pass' : '**FAIL**'} |`);
  }
  L.push('');
  if (rows.some((r) => r.threads === 2 && /machine busy/.test(r.note ?? ''))) {
    L.push('Two-thread rows whose note says "machine busy" ran with about one free core: ours then gains nothing from ' +
      'its second thread and onnxruntime-web loses (its second thread competes for the same core), so their ratios ' +
      'overstate what a quiet machine gives; judge them only after a quiet re-run.');
    L.push('');
  }
  for (const env of ALL_ENVS) {
    const envRows = rows.filter((r) => r.env === env);
    if (!envRows.length) continue;
    const version = envRows.find((r) => r.node_version)?.node_version;
    L.push(isNodeEnv(env) ? `## ${ENV_NAME[env]} (${version ?? ''}; one fresh \`node\` process per engine × setting)` :
      '## Headless Chromium (one fresh browser per engine × setting, main thread, cross-origin isolated)');
    L.push('');
    L.push('Latency in ms (median / p90 over all timed runs), ratio = onnxruntime-web median / ours median (> 1: we are faster). ' +
      'Load = from reading the files (and instantiating the wasm runtime) to a ready model, median over processes. ' +
      'Peak = max RSS of the process (Chromium: of the renderer), MiB. GF/s = whole-model effective GFLOP/s (see Method).');
    L.push('');
    pushTable(L, ['model', 'prec', 'thr:', 'b×seq', 'ours build', 'ours med / p90:', 'peer med / p90:', 'ratio:', 'ours GF/s:',
      'peer GF/s:', 'ours seq/s:', 'load ours / peer:', 'peak ours / peer:', 'runs:', 'note'], envRows, (r) => [
      MODEL_SHORT(r.model), r.precision, r.threads, `${r.batch}×${r.seq}`, buildLabel(r), `${fmt(r.ours_ms)} / ${fmt(r.ours_p90_ms)}`,
      `${fmt(r.peer_ms)} / ${fmt(r.peer_p90_ms)}`, r.ratio == null ? '—' : `**${r.ratio.toFixed(2)}**`, fmt(r.ours_gflops),
      fmt(r.peer_gflops), fmt(r.ours_seq_per_s), `${fmt(r.ours_load_ms, 0)} / ${fmt(r.peer_load_ms, 0)}`,
      `${fmt(r.ours_peak_rss_mb, 0)} / ${fmt(r.peer_peak_rss_mb, 0)}`, `${r.ours_runs}/${r.peer_runs}`, r.note ?? '']);
    L.push('');
  }
  const geoRows = rows.filter((r) => GEOMETRY_ONLY[r.model] && r.ours_ms != null);
  if (geoRows.length) {
    L.push('## Ours-only geometries (issue 16): DeBERTa-v3-base and ModernBERT-base vs our BERT-base, same session');
    L.push('');
    L.push('No ONNX twin of these graphs exists in ../shared, so there is no onnxruntime-web row: each setting ran ours on ' +
      'the geometry and ours on bert-base-sst2-geometry in alternating fresh processes (geometry, base, base, geometry …), ' +
      'and the comparison is whole-model GF/s (see Method for what is counted). "× base" > 1: the geometry keeps the ' +
      'kernels busier per counted FLOP than BERT-base does. Load = 1-minute load average of the machine (max over the ' +
      'setting\'s processes; 2 cores).');
    L.push('');
    pushTable(L, ['env', 'model', 'prec', 'thr:', 'b×seq', 'build', 'ours med / p90 ms:', 'GF/s:', 'bert-base med ms:',
      'bert-base GF/s:', '× base:', 'runs (geo/base):', 'load:', 'measured', 'commit'], geoRows, (r) => [
      `${ENV_NAME[r.env] ?? r.env} (${r.node_version ?? ''})`, MODEL_SHORT(r.model), r.precision, r.threads, `${r.batch}×${r.seq}`,
      buildLabel(r), `${fmt(r.ours_ms)} / ${fmt(r.ours_p90_ms)}`, fmt(r.ours_gflops), fmt(r.base_ms), fmt(r.base_gflops),
      r.gflops_vs_base == null ? '—' : `**${r.gflops_vs_base.toFixed(2)}**`, `${r.ours_runs}/${r.base_runs ?? '—'}`,
      fmt(r.load_avg_1m), r.measured_at, r.commit ?? '']);
    L.push('');
  }
  const coldRows = rows.filter((r) => r.ours_cold_median_ms != null || r.peer_cold_median_ms != null);
  if (coldRows.length) {
    L.push(`## First runs after load (the JIT's tier-up), 1×128`);
    L.push('');
    L.push('Each process times its first runs of the 1×128 shape right after loading the model, before any warm-up ' +
      '(the wasm engines start on baseline code — V8\'s Liftoff — and swap in optimised code while it runs); ' +
      '"first" = median over processes of run 1, "first N" = median of the pooled first runs, "steady" = the row\'s ' +
      'median after warm-up. ms.');
    L.push('');
    L.push('| env | model | prec | thr | ours first / first N / steady | peer first / first N / steady | steady ratio | first-N ratio |');
    L.push('|---|---|---|---:|---:|---:|---:|---:|');
    for (const r of coldRows.filter((x) => x.threads === 2).concat(coldRows.filter((x) => x.threads !== 2))) {
      const fr = r.ours_cold_median_ms && r.peer_cold_median_ms ? (r.peer_cold_median_ms / r.ours_cold_median_ms).toFixed(2) : '—';
      L.push(`| ${ENV_NAME[r.env] ?? r.env} | ${MODEL_SHORT(r.model)} | ${r.precision} | ${r.threads} | ${fmt(r.ours_cold_first_ms)} / ` +
        `${fmt(r.ours_cold_median_ms)} (N=${r.cold_runs}) / ${fmt(r.ours_ms)} | ${fmt(r.peer_cold_first_ms)} / ${fmt(r.peer_cold_median_ms)} / ` +
        `${fmt(r.peer_ms)} | ${r.ratio == null ? '—' : r.ratio.toFixed(2)} | ${fr} |`);
    }
    L.push('');
  }
  // The pipeline comparison (bench/pipelines.mjs writes bench/pipelines.md) is kept in this report as it is.
  const pipelinesMd = path.join(ROOT, 'bench', 'pipelines.md');
  if (fs.existsSync(pipelinesMd)) {
    L.push(fs.readFileSync(pipelinesMd, 'utf8').trim());
    L.push('');
  }
  L.push('## GEMM kernel (bench/gemm_bench.cc, wasm, best of 20)');
  L.push('');
  if (ctx.gemm?.rows?.length) {
    L.push('| Node | build | weights | M×K×N | threads | GFLOP/s (int8: GOPS) |');
    L.push('|---|---|---|---|---:|---:|');
    for (const g of ctx.gemm.rows) {
      L.push(`| ${ENV_NAME[g.node] ?? g.node ?? '20'} | ${g.build ?? 'simd128'} | ${g.kernel}${g.detail ? ` (${g.detail})` : ''} | ${g.m}×${g.k}×${g.n} | ${g.threads} | ${g.gflops.toFixed(1)} |`);
    }
    L.push('');
    L.push('`f32`/`q8` rows: LinearForward (packing, blocking, epilogue included) on BERT-base shapes. `*-ukernel` rows: ' +
      'the microkernel alone on one L1-resident 4-row tile × 64 columns (no driver, packing or epilogue), called from a ' +
      'C++ loop — a lower bound (docs/kernels.md has the kernels timed from JS). Two-thread rows need both cores free: on ' +
      'a busy shared machine they show no scaling.');
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
  // The fine-tuning curves, soak and time-to-first-result figures (bench/train.mjs, bench/soak.mjs,
  // bench/ttfr.mjs write bench/train.md, bench/soak.md, bench/ttfr.md) are kept in this report as they are.
  for (const md of ['train.md', 'soak.md', 'ttfr.md']) {
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
    'BERT-base geometries) return last_hidden_state in both. Ours runs the build the package\'s runtime picks: ' +
    'single-threaded for one thread, pthreads for two; relaxed-SIMD twins in Node 22/24 and Chromium (int8 rows name ' +
    'the kernel it timed fastest on first use), SIMD128 in Node 20.');
  L.push('- Throughput = batch / median latency (sequences/s); tokens/s is in results.json.');
  L.push('- Whole-model effective GFLOP/s = 2·M·N·K of every linear layer (Q, K, V, attention output, FFN in/out over ' +
    'batch·seq tokens) + the two attention matmuls (QKᵀ, P·V: 2·2·batch·seq²·hidden per layer) + the classifier ' +
    'head on [CLS] rows, divided by the median latency. DeBERTa-v3 also counts its content→position and ' +
    'position→content score terms (q·Pk, k·Pq: 2·2·batch·seq²·hidden more per layer); its relative-embedding ' +
    'projections Pk, Pq are input-independent and computed once at load, so they are not forward work and not counted. ' +
    'ModernBERT counts GeGLU as 3·h·I multiply-adds per token (Wi is 2I wide, Wo reads I) and full seq² attention on ' +
    'every layer (its sliding-window layers attend to |i − j| ≤ 64: at 1×128 that over-counts by ~0.6 %); it has no ' +
    'biases (not counted anyway). Element-wise work (softmax, GELU/GeGLU, LayerNorm, rotary, embeddings) is not counted.');
  L.push('- Ours-only rows (' + Object.keys(GEOMETRY_ONLY).join(', ') + '): released geometries without an ONNX twin in ' +
    '../shared (weights: `bench/lib/geometry_weights.py <model>`, random, seed 0); no peer: in its place each round ' +
    `runs ours on ${BASE_MODEL} with the same setting (interleaved), and the row compares the two GFLOP/s.`);
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
    'COOP same-origin + COEP require-corp. Both engines run on the page\'s main thread, loaded as a page loads them (our ' +
    'js/index.js `getRuntime`, which fetches its build\'s .wasm and pthread worker; onnxruntime-web\'s dist/ort.wasm.min.mjs ' +
    'with `env.wasm.wasmPaths` at its own dist/).');
  L.push('- First runs (tier-up table): before the warm-up, each process times the first ' +
    `${COLD.runs} runs of ${COLD.shape.join('×')} right after loading; they are not part of the row's median.`);
  L.push('');
  L.push('## Reproduce');
  L.push('');
  L.push('```sh');
  L.push('npm run setup          # apt: python3-onnx python3-numpy chromium; npm: onnxruntime-web, playwright-core, transformers.js; Node 22/24 in tools/node-runtimes/');
  L.push('npm run build');
  L.push('npm run bench          # full matrix; --quick for a short pass; --help for filters');
  L.push('npm run bench -- --only distilbert,minilm --shapes 1x128 --env node22,node24,chromium --precision int8   # the int8 checks');
  L.push('npm run bench:pipelines   # the pipeline rows vs transformers.js (bench/pipelines.mjs)');
  L.push('```');
  L.push('');
  if (ctx.elapsed) L.push(`This run took ${(ctx.elapsed / 60).toFixed(1)} min.`);
  L.push('');
  fs.writeFileSync(path.join(ctx.opts.outDir, 'RESULTS.md'), L.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// Main

const opts = parseArgs(process.argv.slice(2));

/** --report-only: RESULTS.md from the rows already in results.json. */
function reportOnly() {
  const rows = JSON.parse(fs.readFileSync(path.join(opts.outDir, 'results.json'), 'utf8'));
  const newest = rows.filter((r) => r.kind !== 'ttfr').sort((a, b) => String(b.measured_at).localeCompare(String(a.measured_at)))[0];
  if (!newest) {
    // bench/ttfr.mjs adds its rows to results.json; RESULTS.md is built around the engine rows
    console.error(`[bench] ${path.relative(ROOT, path.join(opts.outDir, 'results.json'))} has no engine rows ` +
      '(only time-to-first-result rows, whose table is ttfr.md): run `npm run bench` first');
    process.exitCode = 1;
    return;
  }
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
  const dist = snapshotPkg();
  console.log(`[bench] package snapshot ${path.relative(ROOT, dist.dir)} (wasm ${dist.sizes.wasm_bytes} B, relaxed ${dist.sizes.relaxed_wasm_bytes} B)`);
  const needBase = opts.models.some((m) => GEOMETRY_ONLY[m]) && !opts.models.includes(BASE_MODEL);
  const dirs = Object.fromEntries([...opts.models, ...(needBase ? [BASE_MODEL] : [])].map((m) => [m, ensureModel(m)]));
  const configs = Object.fromEntries(Object.keys(dirs).map((m) => [m, JSON.parse(fs.readFileSync(path.join(dirs[m], 'config.json'), 'utf8'))]));

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
    // Rows of env 'node' come from before the per-Node environments (issue 18): they were measured in the
    // system Node 20 (SIMD128 builds), so they are kept as node20 rows until a node20 run measures them again.
    for (const r of JSON.parse(fs.readFileSync(resultsFile, 'utf8'))) {
      const row = r.env === 'node' ? { ...r, env: 'node20' } : r;
      if (!rows.has(rowKey(row)) || r.env !== 'node') rows.set(rowKey(row), row);
    }
  }
  const ctx = { opts, meta, dist, gemm, argv: process.argv.slice(2) };
  baseRowFor = (q) => [...rows.values()].find((r) => r.model === 'bert-base-sst2-geometry' && r.env === q.env &&
    r.precision === q.precision && r.threads === q.threads && r.batch === q.batch && r.seq === q.seq && r.ours_gflops) ?? null;
  const timeoutMs = 45 * 60 * 1000;

  for (const env of opts.envs) {
    if (isNodeEnv(env) && !fs.existsSync(NODE_BINS[env])) {
      console.log(`[bench] ${env}: ${NODE_BINS[env]} missing (npm run setup installs it in tools/node-runtimes/); skipped`);
      continue;
    }
    const models = env === 'chromium' ? opts.models.filter((m) => CHROMIUM_MODELS.includes(m)) : opts.models;
    for (const model of models) {
      const g = geometry(configs[model]);
      const only = GEOMETRY_ONLY[model];
      const shapes = only ? opts.shapes.filter(([b, q]) => only.shapes.some(([b2, q2]) => b === b2 && q === q2)) : opts.shapes;
      if (shapes.length === 0) continue;
      for (const precision of opts.precisions) {
        for (const threads of opts.threads) {
          console.log(`[bench] ${env} ${model} ${precision} ${threads}T: ${shapes.map((s) => s.join('x')).join(' ')}`);
          const res = { ours: [], ort: [], base: [] };
          // The peer's slot of a geometry-only model: ours on BASE_MODEL, same setting and shapes.
          const other = only ? 'base' : 'ort';
          for (let r = 0; r < opts.rounds; ++r) {
            for (const engine of r % 2 === 0 ? ['ours', other] : [other, 'ours']) {
              const cold = shapes.some(([b, q]) => b === COLD.shape[0] && q === COLD.shape[1]) ? COLD : null;
              const job = { engine: engine === 'base' ? 'ours' : engine, env, model: engine === 'base' ? BASE_MODEL : model,
                dir: dirs[engine === 'base' ? BASE_MODEL : model], pkgDir: dist.dir, precision, threads, shapes,
                plan: opts.plan, timeoutMs, cold: engine === 'base' ? null : cold, relaxed: opts.relaxed };
              const result = await measured(() => (isNodeEnv(env) ? runNodeChild(job) : runChromium(job, dist)), engine);
              if (result.browser_version) meta.chromium = result.browser_version;
              res[engine].push(result);
            }
          }
          for (const [batch, seq] of shapes) {
            const row = makeRow({ env, model, precision, threads, batch, seq, ours: res.ours, peer: res.ort, base: res.base,
              baseG: configs[BASE_MODEL] ? geometry(configs[BASE_MODEL]) : null, g, dist, gemm, meta });
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

if (!inOwnAutogroup(opts.nice)) {
  main().catch((e) => {
    console.error(e?.stack ?? e);
    process.exit(1);
  });
}
