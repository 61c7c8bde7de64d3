// validate_weights load overhead (issue 20; docs/hardening.md): BertologyModel.load of one local folder with the
// check on vs off, interleaved (the order alternates per round), after one warm-up load of each; medians of wall
// and CPU time and of the per-round on/off ratios, with the machine's load average before and after (a
// shared machine's figures are noisy: report it). CPU time is the process's (every thread: with 2 threads
// the pool thread's share of the check counts). On Linux also "net wall": the wall time minus the time the
// loading (main) thread sat in a run queue waiting for a CPU (/proc/self/task/<pid>/schedstat) — what the
// wall time would be if no other process wanted the CPU, the figure that matters on a shared 2-core machine
// where the wall time mostly measures the neighbours (it still counts the main thread's waits for a pool
// thread, so work moved to a late pool thread is not free there). A benchmark, not a test.
// Usage: node bench/validate-weights.mjs <model folder> [rounds=15] [threads=1]
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { BertologyModel } from '../js/index.js';
const [dir, roundsArg, threadsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 15);
const threads = Number(threadsArg ?? 1);
const med = (a) => { const s = [...a].sort((x, y) => x - y); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
/** ms the main thread waited in a run queue so far (null where /proc is not there) */
function queued() {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return null;
  }
}
async function once(validate) {
  const c0 = process.cpuUsage(); const q0 = queued(); const t0 = performance.now();
  const m = await BertologyModel.load(dir, { threads, validate_weights: validate });
  const wall = performance.now() - t0; const c = process.cpuUsage(c0); const q1 = queued();
  m.dispose();
  return { wall, cpu: (c.user + c.system) / 1000, net: q0 === null || q1 === null ? wall : wall - (q1 - q0) };
}
const load0 = loadavg()[0];
await once(true); await once(false);  // warm-up (file cache, JIT)
const on = [], off = [], rWall = [], rCpu = [], rNet = [];
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? [false, true] : [true, false];
  const res = {};
  for (const v of order) res[v] = await once(v);
  on.push(res[true]); off.push(res[false]);
  rWall.push(res[true].wall / res[false].wall); rCpu.push(res[true].cpu / res[false].cpu);
  rNet.push(res[true].net / res[false].net);
}
const f = (x) => x.toFixed(1);
console.log(JSON.stringify({ dir, rounds, threads,
  on_wall_ms: f(med(on.map((x) => x.wall))), off_wall_ms: f(med(off.map((x) => x.wall))),
  on_cpu_ms: f(med(on.map((x) => x.cpu))), off_cpu_ms: f(med(off.map((x) => x.cpu))),
  on_net_wall_ms: f(med(on.map((x) => x.net))), off_net_wall_ms: f(med(off.map((x) => x.net))),
  paired_wall_ratio: med(rWall).toFixed(3), paired_cpu_ratio: med(rCpu).toFixed(3), paired_net_wall_ratio: med(rNet).toFixed(3),
  load_average: `${load0.toFixed(1)} → ${loadavg()[0].toFixed(1)}` }));
