// Every wasm build, in every Node it runs in, as the runtime selects them: Node 20 (SIMD128 builds:
// relaxed SIMD is not available there) and Node 22 and 24 (npm packages in tools/node-runtimes/,
// installed by scripts/setup.sh; the relaxed-SIMD builds, and with env.relaxedSimd = false the SIMD128 build once
// more), single-threaded and threaded builds. In each: relaxed-SIMD detection,
// load + sentiment within 1e-4 of Hugging Face's scores (fp32), and q8 — the int8 numerics of every
// build are the same, so the q8 logits of all 872 SST-2 dev sentences and of 150 CoNLL-03 test
// sentences must be bitwise identical across builds, runtimes and thread counts (each relaxed runtime
// runs the int8 kernel it timed fastest: both relaxed kernels get covered; the first batch also runs
// before that choice, on the default dot_add, and must give the same bytes), and SST-2 q8 accuracy is
// within 0.5 points of fp32 (747/872) on every build. tests/js/quantized.test.mjs has the full
// SST-2 and CoNLL-03 accuracy figures (through the CLI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO, SKIP_REASON } from './helpers/shared.js';

const run = promisify(execFile);
const CHILD = join(REPO, 'tests', 'js', 'helpers', 'build-probe-child.mjs');
const NODES = {
  node20: process.execPath,
  node22: join(REPO, 'tools', 'node-runtimes', 'node_modules', 'node22', 'bin', 'node'),
  node24: join(REPO, 'tools', 'node-runtimes', 'node_modules', 'node24', 'bin', 'node'),
};
const missing = Object.entries(NODES).filter(([, bin]) => !existsSync(bin)).map(([name]) => name);
const SKIP = SKIP_REASON || (missing.length > 0 && `${missing.join(', ')} not installed (npm run setup, or npm ci --prefix tools/node-runtimes)`) ||
  (!existsSync(join(REPO, 'dist', 'bertology-st-relaxed.wasm')) && 'relaxed builds missing (npm run build)');

const RUNS = [
  { node: 'node20', build: 'simd128', threads: 1 },
  { node: 'node20', build: 'simd128', threads: 2 },
  { node: 'node22', build: 'simd128', threads: 2 },
  { node: 'node22', build: 'relaxed', threads: 1 },
  { node: 'node22', build: 'relaxed', threads: 2 },
  { node: 'node24', build: 'relaxed', threads: 1 },
  { node: 'node24', build: 'relaxed', threads: 2 },
];

test('builds: SIMD128 and relaxed SIMD, Node 20/22/24, 1 and 2 threads — sentiment parity, bitwise-equal q8', { skip: SKIP }, async (t) => {
  const results = [];
  for (const r of RUNS) {
    const { stdout } = await run(NODES[r.node], [CHILD, JSON.stringify({ build: r.build, threads: r.threads })],
      { cwd: REPO, maxBuffer: 16 << 20, timeout: 300_000 });
    const out = JSON.parse(stdout.trim().split('\n').at(-1));
    t.diagnostic(`${r.node} ${out.node} ${r.build} ${r.threads}T: relaxed ${out.relaxedSupported}, ${out.runtime.variant}, ` +
      `int8 ${out.runtime.kernels.int8}; fp32 max |Δscore| ${out.fp32MaxDiff.toExponential(2)}; q8 SST-2 ` +
      `${out.sst2.correct}/${out.sst2.total} ${out.sst2.sha256.slice(0, 12)}, CoNLL ${out.conll.sha256.slice(0, 12)}`);
    assert.equal(out.relaxedSupported, r.node !== 'node20', `${r.node}: relaxed-SIMD detection`);
    assert.equal(out.runtime.kernels.simd, r.build, `${r.node} ${r.build}: the build loaded`);
    assert.equal(out.runtime.variant, r.threads === 1 ? 'single' : 'threads');
    assert.equal(out.runtime.build, `${out.runtime.variant}${r.build === 'relaxed' ? '-relaxed' : ''}`, 'runtime.build');
    assert.equal(out.fp32LabelMismatch, undefined, `${r.node} ${r.build}: fp32 label order`);
    assert.ok(out.fp32MaxDiff <= 1e-4, `${r.node} ${r.build}: fp32 scores ${out.fp32MaxDiff}`);
    assert.ok(Math.abs(out.sst2.correct - 747) / 872 <= 0.005, `${r.node} ${r.build}: q8 accuracy ${out.sst2.correct}/872`);
    assert.equal(out.beforeChoiceEqual, true, `${r.node} ${r.build}: q8 logits before and after the int8 kernel choice`);
    results.push({ ...r, out });
  }
  const [first] = results;
  for (const r of results.slice(1)) {
    const what = `${r.node} ${r.build} ${r.threads}T vs ${first.node} ${first.build} ${first.threads}T`;
    assert.equal(r.out.sst2.sha256, first.out.sst2.sha256, `${what}: q8 SST-2 logits differ`);
    assert.equal(r.out.conll.sha256, first.out.conll.sha256, `${what}: q8 CoNLL-03 logits differ`);
  }
});
