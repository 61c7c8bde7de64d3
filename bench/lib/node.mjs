// Node-side helpers of the benchmarks (bench/run.mjs, bench/pipelines.mjs): the Node binaries, the
// machine's load, the package snapshot, machine facts.

import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const OUT = path.join(ROOT, 'bench/out');

// Where each engine runs: Node 20 (the system Node: SIMD128 builds), Node 22 and 24 (tools/node-runtimes/,
// installed by scripts/setup.sh: relaxed-SIMD builds).
export const NODE_BINS = {
  node20: process.execPath,
  node22: path.join(ROOT, 'tools/node-runtimes/node_modules/node22/bin/node'),
  node24: path.join(ROOT, 'tools/node-runtimes/node_modules/node24/bin/node'),
};

// ---------------------------------------------------------------------------------------------
// Machine state: CPU use by everything else while a benchmark process runs.

export function cpuJiffies() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
  return { busy: user + nice + system + irq + softirq + (steal ?? 0), total: f.reduce((a, b) => a + b, 0), idle: idle + iowait };
}
export const HZ = 100;  // USER_HZ on Linux

export async function busyCores(ms) {
  const a = cpuJiffies();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuJiffies();
  return (b.busy - a.busy) / HZ / (ms / 1000);
}

/** Waits (at most `maxSeconds`) until other processes use less than `cores` CPUs. */
export async function waitIdle(cores, maxSeconds) {
  const t0 = Date.now();
  let busy = await busyCores(700);
  while (busy > cores && (Date.now() - t0) / 1000 < maxSeconds) busy = await busyCores(2000);
  return { waited_s: (Date.now() - t0) / 1000, busy_cores_before: busy };
}

export const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

export const WASM_FILES = [
  ['bertology.wasm', 'threads'], ['bertology-st.wasm', 'single'],
  ['bertology-relaxed.wasm', 'threads-relaxed'], ['bertology-st-relaxed.wasm', 'single-relaxed'],
];

/**
 * Copies the package's js/ and dist/ into bench/out/pkg-<hash>/ so a rebuild during the run cannot mix
 * builds (both engines' processes import the package from there), and records the package sizes.
 */
export function snapshotPkg() {
  const list = (dir) => fs.readdirSync(path.join(ROOT, dir), { recursive: true })
    .filter((f) => fs.statSync(path.join(ROOT, dir, f)).isFile()).sort().map((f) => path.join(dir, f));
  for (const [f] of WASM_FILES) {
    if (!fs.existsSync(path.join(ROOT, 'dist', f))) throw new Error(`dist/${f} missing: run npm run build first`);
  }
  const files = [...list('js'), ...list('dist')];
  const bytes = Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(ROOT, f))]));
  const hash = sha256(Buffer.concat(files.map((f) => Buffer.concat([Buffer.from(f), bytes[f]])))).slice(0, 12);
  const dir = path.join(OUT, `pkg-${hash}`);
  if (!fs.existsSync(dir)) {
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(`${dir}.tmp`, f)), { recursive: true });
      fs.writeFileSync(path.join(`${dir}.tmp`, f), bytes[f]);
    }
    fs.renameSync(`${dir}.tmp`, dir);
  }
  const gz = (b) => zlib.gzipSync(b, { level: 9 }).length;
  const dist = (f) => bytes[path.join('dist', f)];
  return {
    dir,
    wasm_sha256: sha256(dist('bertology.wasm')),
    relaxed_wasm_sha256: sha256(dist('bertology-relaxed.wasm')),
    sizes: {
      wasm_bytes: dist('bertology.wasm').length,
      wasm_gzip_bytes: gz(dist('bertology.wasm')),
      js_glue_bytes: dist('bertology.mjs').length,
      js_glue_gzip_bytes: gz(dist('bertology.mjs')),
      st_wasm_bytes: dist('bertology-st.wasm').length,
      st_wasm_gzip_bytes: gz(dist('bertology-st.wasm')),
      relaxed_wasm_bytes: dist('bertology-relaxed.wasm').length,
      relaxed_wasm_gzip_bytes: gz(dist('bertology-relaxed.wasm')),
      st_relaxed_wasm_bytes: dist('bertology-st-relaxed.wasm').length,
      st_relaxed_wasm_gzip_bytes: gz(dist('bertology-st-relaxed.wasm')),
    },
  };
}

export function gitDescribe() {
  try {
    const head = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src', 'CMakeLists.txt', 'web'],
      { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head}+dirty` : head;
  } catch {
    return null;
  }
}

export function machine() {
  const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? os.cpus()[0]?.model;
  let distro = '';
  try {
    distro = (fs.readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?(.*?)"?$/m) ?? [])[1] ?? '';
  } catch { /* not Linux */ }
  return { cpu, cores: os.availableParallelism?.() ?? os.cpus().length, mem_gb: Math.round(os.totalmem() / 2 ** 30),
    os: distro, node: process.version };
}


/**
 * With --nice: re-runs this driver as the leader of a new session (so a new scheduler autogroup)
 * and sets that autogroup's nice. Returns true when this process only waits for that re-run.
 */
export function inOwnAutogroup(nice) {
  if (!nice || process.env.BERTOLOGY_BENCH_AUTOGROUP || !fs.existsSync('/proc/self/autogroup')) return false;
  const child = spawn(process.execPath, process.argv.slice(1), {
    detached: true, stdio: 'inherit', env: { ...process.env, BERTOLOGY_BENCH_AUTOGROUP: '1' },
  });
  try {
    fs.writeFileSync(`/proc/${child.pid}/autogroup`, String(nice));
  } catch (e) {
    console.log(`[bench] cannot set the autogroup priority (${e.message}); running at normal priority`);
  }
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code) => process.exit(code ?? 1));
  return true;
}

