// Headless Chromium (playwright-core + Debian's /usr/bin/chromium) loads a page from a local server
// (web/dev-server.mjs on 127.0.0.1) that imports the package and runs sentiment on bert-mini-sst2:
//   - cross-origin isolated (COOP same-origin + COEP require-corp) → threaded build, 2 threads
//   - not isolated                                                  → single-threaded build
// on the main thread and in a module Web Worker (bertology/worker), by URL and by hub id (the local
// hub stand-in), with the Cache API. Scores must equal Node's (±1e-4), and no request may leave
// 127.0.0.1. Skips when Chromium, playwright-core, the build or the shared models are missing.
//
// Run: node --test tests/browser/   (CHROMIUM=/path/to/chromium to override the browser)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BROWSER_SKIP, launchChromium } from './chromium.mjs';
import { BertologyModel } from '../../js/index.js';
import { REPO, sharedPath } from '../js/helpers/shared.js';
import { startHubServer } from '../js/helpers/hf-server.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const TEXTS = ['a great , moving film .', 'the plot is dull and the acting is worse .', 'it is a movie .',
  'Ünïcödé — “quotes” and emoji 🎬 are fine!'];

const skip = BROWSER_SKIP;

/** @type {any[][]} */
let expected;
before(async () => {
  if (skip) return;
  const model = await BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { threads: 2 });
  expected = model.classify(TEXTS);
  model.dispose();
});

/** @param {any[][]} got */
function assertScores(got) {
  assert.equal(got.length, expected.length);
  got.forEach((scores, i) => scores.forEach((/** @type {any} */ s, /** @type {number} */ j) => {
    assert.equal(s.label, expected[i][j].label, `text ${i}`);
    assert.ok(Math.abs(s.score - expected[i][j].score) <= 1e-4, `text ${i}: ${s.score} vs ${expected[i][j].score}`);
  }));
}

/**
 * A browser + server pair for one isolation mode.
 * @param {boolean} coi
 */
async function session(coi) {
  const server = await startHubServer({
    coi,
    extraRoots: { '/': join(HERE, 'fixtures'), '/pkg/js/': join(REPO, 'js'), '/pkg/dist/': join(REPO, 'dist'), '/models/': sharedPath('models') },
  });
  const { context, userDataDir } = await launchChromium('bertology-chromium-');
  /** @type {string[]} */
  const external = [];
  /** @type {string[]} */
  const seen = [];
  await context.route('**/*', (/** @type {any} */ route) => {
    const url = new URL(route.request().url());
    seen.push(url.href);
    if (url.hostname !== '127.0.0.1') {
      external.push(url.href);
      return route.abort();
    }
    return route.continue();
  });
  context.on('request', (/** @type {any} */ r) => {
    const url = new URL(r.url());
    if (!['127.0.0.1'].includes(url.hostname) && !['data:', 'blob:'].includes(url.protocol)) external.push(url.href);
  });
  const page = context.pages()[0] ?? await context.newPage();
  /** @type {string[]} */
  const console_ = [];
  page.on('console', (/** @type {any} */ m) => console_.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (/** @type {any} */ e) => console_.push(`pageerror: ${e.message}`));
  await page.goto(server.url);
  await page.waitForFunction(() => /** @type {any} */ (window).bertologyReady === true, null, { timeout: 30_000 });
  return {
    server, page, external, seen, console: console_,
    /** @param {string} fn @param {any} arg */
    run: (fn, arg) => page.evaluate(([f, a]) => /** @type {any} */ (window).bertologyTest[f](a), [fn, arg]),
    close: async () => {
      await context.close();
      await server.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

for (const coi of [true, false]) {
  describe(`browser: ${coi ? 'cross-origin isolated → threads' : 'not isolated → single-threaded fallback'}`, { skip }, () => {
    /** @type {Awaited<ReturnType<typeof session>>} */
    let s;
    before(async () => { s = await session(coi); });
    after(async () => {
      if (s) {
        assert.deepEqual(s.external, [], 'no request leaves 127.0.0.1');
        // the interception saw the Web Worker's own requests too (so the check above covers them)
        assert.ok(s.seen.some((u) => u.endsWith('/shared/bert-mini-sst2/resolve/main/model-00002-of-00002.safetensors')),
          'worker requests are intercepted');
        await s.close();
      }
    });
    const variant = coi ? 'threads' : 'single';
    const threads = coi ? 2 : 1;

    test('main thread, model by relative URL', async (t) => {
      try {
        const r = await s.run('main', { source: '/models/bert-mini-sst2/', texts: TEXTS, options: { threads: 2 } });
        t.diagnostic(`load ${r.loadMs.toFixed(0)} ms, runtime ${JSON.stringify(r.runtime)}`);
        assert.equal(r.crossOriginIsolated, coi);
        assert.equal(r.sharedArrayBuffer, coi);
        assert.equal(r.runtime.variant, variant);
        assert.equal(r.runtime.threads, threads);
        if (!coi) assert.match(r.runtime.fallback, /cross-origin|SharedArrayBuffer/);
        assertScores(r.scores);
        // the first call may run before the pool's workers are up (the calling thread alone): the same bits
        assert.equal(r.threadsAfterPool, threads);
        assert.deepEqual(r.scoresOnPool, r.scores);
        assert.equal(r.statuses.at(-1), 'ready:');
        const served = s.server.requests.map((q) => q.url);
        // Chromium has relaxed SIMD: the relaxed-SIMD twin of the variant's build
        const wasm = coi ? '/pkg/dist/bertology-relaxed.wasm' : '/pkg/dist/bertology-st-relaxed.wasm';
        assert.equal(r.runtime.build, `${variant}-relaxed`);
        assert.ok(served.includes(wasm), served.join(' '));
        assert.deepEqual(served.filter((u) => u.endsWith('.wasm')), [wasm], 'only one build is fetched');
        if (coi) assert.ok(served.includes('/pkg/dist/bertology-relaxed.worker.mjs'), 'pthread workers started (the ES-module worker)');
      } catch (e) {
        t.diagnostic(s.console.join('\n'));
        throw e;
      }
    });

    test('default thread count follows the page', async () => {
      const r = await s.run('main', { source: '/models/bert-mini-sst2/', texts: TEXTS.slice(0, 1) });
      const env = await s.run('environment', null);
      assert.equal(r.runtime.variant, coi && Math.min(4, env.hardwareConcurrency) > 1 ? 'threads' : 'single');
      assert.equal(r.runtime.threads, coi ? Math.min(4, env.hardwareConcurrency) : 1);
    });

    test('Web Worker (bertology/worker), model by hub id on the local host', async (t) => {
      try {
        const r = await s.run('worker', { source: 'shared/bert-mini-sst2', texts: TEXTS, options: { host: s.server.url, threads: 2 } });
        const rel = await s.run('worker', { source: '/models/bert-mini-sst2', texts: TEXTS.slice(0, 1) });
        assert.equal(rel.scores[0][0].label, expected[0][0].label);
        assert.equal(r.crossOriginIsolated, coi);
        assert.equal(r.runtime.variant, variant);
        assert.equal(r.runtime.threads, threads);
        assert.equal(r.runtime.crossOriginIsolated, coi);
        assertScores(r.scores);
        assert.ok(r.statuses.includes('done:model-00002-of-00002.safetensors'));
      } catch (e) {
        t.diagnostic(s.console.join('\n'));
        throw e;
      }
    });

    test('Cache API: the second load is served from the cache', async () => {
      const before = s.server.requests.length;
      const r = await s.run('cached', { source: 'cached/bert-mini-sst2', texts: TEXTS, options: { host: s.server.url } });
      assertScores(r.first.scores);
      assertScores(r.second.scores);
      assert.deepEqual(r.keys.sort(), ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors',
        'model.safetensors.index.json', 'tokenizer.json', 'tokenizer_config.json'].map((f) => `/cached/bert-mini-sst2/resolve/main/${f}`));
      await new Promise((ok) => setTimeout(ok, 100));
      const fetched = s.server.requests.slice(before).filter((q) => q.url.startsWith('/cached/'));
      // A sharded checkpoint: the loader also asks for model.safetensors at once (the usual single file),
      // answered 404 — downloaded files are the 6 above, each once.
      const files = fetched.filter((q) => q.status === 200);
      assert.equal(files.length, 6, `files fetched once: ${fetched.map((q) => `${q.url} ${q.status}`).join(' ')}`);
      assert.ok(fetched.filter((q) => q.status !== 200).every((q) => q.url.endsWith('/model.safetensors') && q.status === 404),
        fetched.map((q) => `${q.url} ${q.status}`).join(' '));
    });
  });
}
