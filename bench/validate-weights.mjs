// validate_weights load overhead (issue 20; docs/hardening.md): BertologyModel.load of one local folder with the
// check on vs off, interleaved (the order alternates per round), after one warm-up load of each; medians of wall
// and CPU time and of the per-round on/off ratios, with the machine's load average before and after (a
// shared machine's figures are noisy: report it). A benchmark, not a test.
// Usage: node bench/validate-weights.mjs <model folder> [rounds=15]
import { loadavg } from 'node:os';
import { BertologyModel } from '../js/index.js';
const [dir, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 15);
const med = (a) => { const s = [...a].sort((x, y) => x - y); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
async function once(validate) {
  const c0 = process.cpuUsage(); const t0 = performance.now();
  const m = await BertologyModel.load(dir, { threads: 1, validate_weights: validate });
  const wall = performance.now() - t0; const c = process.cpuUsage(c0);
  m.dispose();
  return { wall, cpu: (c.user + c.system) / 1000 };
}
const load0 = loadavg()[0];
await once(true); await once(false);  // warm-up (file cache, JIT)
const on = [], off = [], rWall = [], rCpu = [];
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? [false, true] : [true, false];
  const res = {};
  for (const v of order) res[v] = await once(v);
  on.push(res[true]); off.push(res[false]);
  rWall.push(res[true].wall / res[false].wall); rCpu.push(res[true].cpu / res[false].cpu);
}
const f = (x) => x.toFixed(1);
console.log(JSON.stringify({ dir, rounds,
  on_wall_ms: f(med(on.map((x) => x.wall))), off_wall_ms: f(med(off.map((x) => x.wall))),
  on_cpu_ms: f(med(on.map((x) => x.cpu))), off_cpu_ms: f(med(off.map((x) => x.cpu))),
  paired_wall_ratio: med(rWall).toFixed(3), paired_cpu_ratio: med(rCpu).toFixed(3),
  load_average: `${load0.toFixed(1)} → ${loadavg()[0].toFixed(1)}` }));
