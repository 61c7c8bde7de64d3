// The published shape: `npm pack`, install the tarball into a fresh directory (offline: the package
// has no runtime dependencies), then a script there imports 'bertology' by name and runs sentiment on
// bert-mini-sst2 with both wasm builds and through the 'bertology/worker' entry.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO, SKIP_REASON, sharedPath } from './helpers/shared.js';

const run = promisify(execFile);
const HAVE_BUILD = existsSync(join(REPO, 'dist', 'bertology.wasm')) && existsSync(join(REPO, 'dist', 'bertology-st.wasm'));
const skip = SKIP_REASON || (!HAVE_BUILD && 'dist/ is not built (npm run build)');

const SCRIPT = `
import { BertologyModel, createWorkerClient, env } from 'bertology';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
const dir = process.argv[2];
const text = 'a great , moving film .';
const out = { resolved: {} };
for (const threads of [1, 2]) {
  const m = await BertologyModel.load(dir, { threads });
  out['t' + threads] = { variant: m.runtime.variant, threads: m.runtime.threads, scores: m.classify(text) };
  m.dispose();
}
for (const spec of ['bertology', 'bertology/worker', 'bertology/worker-client', 'bertology/dev-server', 'bertology/dist/bertology.wasm']) {
  out.resolved[spec] = fileURLToPath(import.meta.resolve(spec));
}
const client = createWorkerClient(new Worker(new URL(import.meta.resolve('bertology/worker'))));
const remote = await client.load(dir, { threads: 2 });
out.worker = { runtime: remote.runtime, scores: await remote.classify(text) };
await remote.dispose();
await client.terminate();
out.env = env.remoteHost;
console.log(JSON.stringify(out));
`;

test('pack: npm pack → npm install the tarball → import "bertology" by name', { skip, timeout: 240_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'bertology-pack-'));
  try {
    const npmEnv = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
    await run('npm', ['pack', '--pack-destination', work], { cwd: REPO, env: npmEnv, timeout: 120_000 });
    const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
    assert.ok(tgz, 'npm pack wrote a tarball');
    const app = join(work, 'app');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    await run('npm', ['install', '--offline', '--no-package-lock', join(work, tgz)], { cwd: app, env: npmEnv, timeout: 120_000 });
    const pkg = join(app, 'node_modules', 'bertology');
    for (const f of ['dist/bertology.mjs', 'dist/bertology.wasm', 'dist/bertology.worker.js', 'dist/bertology.worker.mjs', 'dist/bertology-st.mjs',
      'dist/bertology-st.wasm', 'js/worker.js', 'js/worker-client.js', 'js/sources/remote.js', 'web/dev-server.mjs',
      // The README's links to docs/ resolve inside the installed package too.
      'docs/tasks.md', 'docs/loading.md', 'docs/fine-tuning.md', 'docs/models.md']) {
      assert.ok(existsSync(join(pkg, f)), `the package contains ${f}`);
    }
    assert.ok(!existsSync(join(pkg, 'src')) && !existsSync(join(pkg, 'tests')), 'no sources or tests in the package');
    writeFileSync(join(app, 'main.mjs'), SCRIPT);
    const { stdout } = await run(process.execPath, ['main.mjs', sharedPath('models', 'bert-mini-sst2')],
      { cwd: app, timeout: 120_000 });
    const out = JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
    t.diagnostic(JSON.stringify(out.t2.scores));
    assert.deepEqual([out.t1.variant, out.t1.threads], ['single', 1]);
    assert.deepEqual([out.t2.variant, out.t2.threads], ['threads', 2]);
    for (const scores of [out.t1.scores, out.t2.scores, out.worker.scores]) {
      assert.equal(scores[0].label, 'POSITIVE');
      assert.ok(Math.abs(scores[0].score - out.t2.scores[0].score) < 1e-6);
    }
    assert.equal(out.worker.runtime.variant, 'threads');
    for (const [spec, file] of Object.entries(out.resolved)) {
      assert.ok(file.startsWith(pkg), `${spec} resolves inside the installed package: ${file}`);
    }
    assert.equal(out.env, 'https://huggingface.co/');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
