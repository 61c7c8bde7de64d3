// What a bundler sees when an app imports the package for a browser, checked on the parsed modules
// (acorn, via web/postlink.mjs's analyzeModule): starting from every browser entry (js/index.js,
// js/worker.js, js/worker-client.js) and following static imports, no module imports a Node built-in
// or anything outside the package, none uses dynamic import() (Vite's default iife worker format cannot
// split code) or top-level await (iife bundles, Vite 6's default es2020 target), and the files the
// runtime fetches are exactly those of its build table (js/runtime.js BUILDS), referenced as
// `new URL('../dist/…', import.meta.url)` (wasm) and `new Worker(new URL(…), {type: 'module'})` (the
// pthread worker), each present in dist/. tests/bundlers/examples.test.mjs then builds real apps.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO } from '../js/helpers/shared.js';

const HAVE_BUILD = existsSync(join(REPO, 'dist', 'bertology.worker.mjs'));
const skip = !HAVE_BUILD && 'dist/ is not built (npm run build)';
const ENTRIES = ['js/index.js', 'js/worker.js', 'js/worker-client.js'];

/**
 * Every module reachable from `entries` by static imports.
 * @param {string[]} entries repo-relative
 */
async function graph(entries) {
  const { analyzeModule } = await import('../../web/postlink.mjs');
  /** @type {Map<string, ReturnType<typeof analyzeModule>>} */
  const seen = new Map();
  const queue = entries.map((e) => join(REPO, e));
  while (queue.length) {
    const file = /** @type {string} */ (queue.shift());
    if (seen.has(file)) continue;
    const info = analyzeModule(readFileSync(file, 'utf8'));
    seen.set(file, info);
    for (const spec of info.imports) {
      if (!spec.startsWith('./') && !spec.startsWith('../')) {
        info.problems.push(`imports ${JSON.stringify(spec)} (not a file of the package)`);
        continue;
      }
      const target = resolve(dirname(file), spec);
      if (!existsSync(target)) info.problems.push(`imports ${spec}, which does not exist`);
      else queue.push(target);
    }
  }
  return seen;
}

test('browser entries: no Node built-in, no dynamic import, no top-level await; the runtime files are the build table\'s', { skip }, async () => {
  const modules = await graph(ENTRIES);
  const problems = [...modules].flatMap(([file, info]) => info.problems.map((p) => `${relative(REPO, file)}: ${p}`));
  assert.deepEqual(problems, []);
  assert.ok(modules.has(join(REPO, 'dist', 'bertology.mjs')) && modules.has(join(REPO, 'dist', 'bertology-st.mjs')),
    'both glue modules are imported statically');

  const assets = [...modules].flatMap(([file, info]) => info.assets.map((a) => resolve(dirname(file), a)));
  const workers = [...modules].flatMap(([file, info]) => info.workers.map((w) => ({ ...w, file: resolve(dirname(file), w.url) })));
  const { BUILDS } = await import('../../js/runtime.js');
  const wasm = BUILDS.map((b) => join(REPO, 'dist', b.wasm.name)).sort();
  assert.deepEqual(assets.sort(), wasm, 'new URL(…, import.meta.url) names exactly the builds\' wasm files');
  const pthread = BUILDS.filter((b) => b.worker).map((b) => join(REPO, 'dist', /** @type {any} */ (b.worker).name)).sort();
  assert.deepEqual(workers.map((w) => w.file).sort(), pthread, 'new Worker(new URL(…)) names exactly the pthread worker scripts');
  assert.ok(workers.every((w) => w.module), 'the pthread workers are module workers ({type: \'module\'})');
  for (const f of [...assets, ...workers.map((w) => w.file)]) assert.ok(existsSync(f), `${relative(REPO, f)} exists`);

  // the pthread worker's own graph: the glue, nothing else
  const inWorker = await graph(workers.map((w) => relative(REPO, w.file)));
  const workerProblems = [...inWorker].flatMap(([file, info]) => [...info.problems, ...info.assets, ...info.workers.map((w) => w.url)]
    .map((p) => `${relative(REPO, file)}: ${p}`));
  assert.deepEqual(workerProblems, []);
  assert.deepEqual([...inWorker.keys()].map((f) => relative(REPO, f)).sort(),
    ['dist/bertology-relaxed.mjs', 'dist/bertology-relaxed.worker.mjs', 'dist/bertology.mjs', 'dist/bertology.worker.mjs']);
});
