// Thread workers that cannot start never hang a load (headless Chromium, playwright-core + Debian's
// /usr/bin/chromium, a cross-origin-isolated page from web/dev-server.mjs on 127.0.0.1).
//
// The server serves copies of the package under /pkg-<mode>/ whose pthread worker script
// (dist/bertology.worker.mjs) is broken one way per mode: 404, a syntax error, an HTML page (a host
// that rewrites unknown paths to index.html), a script that throws, a script that loads but never
// answers; and a page whose Content-Security-Policy blocks workers. In each case a load asking for 2
// threads must settle — on the page and inside `bertology/worker` — on the documented fallback: one
// thread (the single-threaded build, or the threaded build on one thread when the worker fails after its
// wasm is instantiated), with `runtime.fallback` naming the worker script and the fix (env.wasmPaths),
// and the same sentiment labels as Node. A `bertology/worker` script that cannot start (404, syntax
// error, silent, blocked by CSP) makes the client reject with a WORKER error. The bound is
// env.workerTimeout (set to WORKER_TIMEOUT here); no unhandled rejection or page error may occur.
//
// Run: node --test tests/browser/worker-failures.test.mjs

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BROWSER_SKIP, launchChromium } from './chromium.mjs';
import { startDevServer } from '../../web/dev-server.mjs';
import { BertologyModel } from '../../js/index.js';
import { REPO, sharedPath } from '../js/helpers/shared.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const TEXTS = ['a great , moving film .', 'the plot is dull and the acting is worse .'];
const WORKER_TIMEOUT = 4000;
const skip = BROWSER_SKIP;

/** How each /pkg-<mode>/ copy answers for dist/bertology.worker.mjs (and the relaxed-SIMD build's, which Chromium runs). */
const BROKEN = {
  404: { status: 404, type: 'text/plain', body: 'not found' },
  syntax: { status: 200, type: 'text/javascript', body: "import createModule from './bertology.mjs';\nthis is not JavaScript;\n" },
  html: { status: 200, type: 'text/html; charset=utf-8', body: '<!doctype html><html><body>the app</body></html>' },
  throws: { status: 200, type: 'text/javascript', body: "throw new Error('broken worker script');\n" },
  silent: { status: 200, type: 'text/javascript', body: 'self.onmessage = () => {};\n' },
};
/** Scripts for `new Worker(url)` in the client tests. */
const ENTRIES = {
  '/entry/pkg.mjs': "import '/pkg/js/worker.js';\n",
  '/entry/pkg-404.mjs': "import '/pkg-404/js/worker.js';\n",
  '/entry/syntax.mjs': "import '/pkg/js/worker.js';\nthis is not JavaScript;\n",
  '/entry/silent.mjs': 'self.onmessage = () => {};\n',
};

/** @type {string[]} */
let expected;
before(async () => {
  if (skip) return;
  const model = await BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { threads: 1 });
  expected = model.classify(TEXTS).map((s) => s[0].label);
  model.dispose();
});

/**
 * @param {{csp?: string}} [options]
 */
async function session({ csp } = {}) {
  const server = await startDevServer({
    roots: { '/': join(HERE, 'fixtures', 'failures'), '/models/': sharedPath('models') },
    coi: true,
    rewrite: (pathname) => {
      const m = /^\/pkg(?:-[a-z0-9]+)?\/(js|dist)\/(.*)$/.exec(pathname);
      return m ? join(REPO, m[1], m[2]) : null;
    },
    handler: async (_req, res, url) => {
      const broken = /^\/pkg-([a-z0-9]+)\/dist\/bertology(?:-relaxed)?\.worker\.mjs$/.exec(url.pathname);
      const answer = broken ? BROKEN[/** @type {keyof BROKEN} */ (broken[1])]
        : /^\/pkg-nowasm\/dist\/bertology(-st)?(-relaxed)?\.wasm$/.test(url.pathname) ? BROKEN[404] : null;
      if (answer) {
        res.writeHead(answer.status, { 'Content-Type': answer.type }).end(answer.body);
        return true;
      }
      const entry = ENTRIES[/** @type {keyof ENTRIES} */ (url.pathname)];
      if (entry) {
        res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(entry);
        return true;
      }
      if (csp && (url.pathname === '/' || url.pathname === '/index.html')) {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': csp })
          .end(readFileSync(join(HERE, 'fixtures', 'failures', 'index.html')));
        return true;
      }
      return false;
    },
  });
  const { context, userDataDir } = await launchChromium('bertology-chromium-failures-');
  /** @type {string[]} */
  const pageErrors = [];
  /** @param {string} pkg */
  const open = async (pkg) => {
    const page = await context.newPage();
    page.on('pageerror', (/** @type {any} */ e) => pageErrors.push(`${pkg}: ${e.message}`));
    await page.goto(`${server.url}?pkg=${pkg}`);
    await page.waitForFunction(() => /** @type {any} */ (window).failureReady === true, null, { timeout: 30_000 });
    return page;
  };
  return {
    server, pageErrors,
    /**
     * Runs window.failureTest[fn](arg) on a fresh page of `pkg`; returns its result and what went uncaught.
     * @param {string} pkg @param {string} fn @param {any} arg
     */
    run: async (pkg, fn, arg) => {
      const page = await open(pkg);
      try {
        const result = await page.evaluate(([f, a]) => /** @type {any} */ (window).failureTest[f](a), [fn, arg]);
        await new Promise((ok) => setTimeout(ok, 200)); // late rejections would show up here
        const uncaught = await page.evaluate(() => /** @type {any} */ (window).failureTest.uncaught());
        const isolated = await page.evaluate(() => /** @type {any} */ (window).failureTest.isolated());
        return { ...result, uncaught, isolated };
      } finally {
        await page.close();
      }
    },
    close: async () => {
      await context.close();
      await server.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** @param {any} r @param {RegExp} why */
function assertFallback(r, why) {
  assert.equal(r.error, undefined, JSON.stringify(r.error));
  assert.deepEqual(r.uncaught, []);
  assert.equal(r.isolated, true);
  // a worker that fails before the wasm is instantiated: the single-threaded build; after (the threaded
  // build is already in use): that build on one thread
  assert.ok(['single', 'threads'].includes(r.runtime.variant), r.runtime.variant);
  assert.equal(r.runtime.threads, 1);
  assert.equal(r.runtime.requestedThreads, 2);
  assert.match(r.runtime.fallback, /bertology(-relaxed)?\.worker\.mjs/);
  assert.match(r.runtime.fallback, /env\.wasmPaths/);
  assert.match(r.runtime.fallback, why);
  assert.deepEqual(r.scores.map((/** @type {any[]} */ s) => s[0].label), expected);
}

/** @param {any} r @param {RegExp} why */
function assertWorkerError(r, why) {
  assert.equal(r.scores, undefined);
  assert.equal(r.error.code, 'WORKER', r.error.message);
  assert.match(r.error.message, why);
  assert.deepEqual(r.uncaught, []);
}

describe('thread workers that fail', { skip }, () => {
  /** @type {Awaited<ReturnType<typeof session>>} */
  let s;
  before(async () => { s = await session(); });
  after(async () => {
    if (s) {
      assert.deepEqual(s.pageErrors, []);
      await s.close();
    }
  });
  const load = { source: '/models/bert-mini-sst2/', threads: 2, workerTimeout: WORKER_TIMEOUT, texts: TEXTS };

  test('control: the intact package starts 2 threads on this page', async () => {
    const r = await s.run('pkg', 'load', load);
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.deepEqual([r.runtime.variant, r.runtime.threads, r.runtime.fallback], ['threads', 2, null]);
    assert.deepEqual(r.scores.map((/** @type {any[]} */ x) => x[0].label), expected);
  });

  const reasons = {
    404: /failed to load/, syntax: /failed to load|SyntaxError|Unexpected/, html: /failed to load/,
    throws: /broken worker script/, silent: new RegExp(`within ${WORKER_TIMEOUT} ms`),
  };
  for (const [mode, why] of Object.entries(reasons)) {
    test(`pthread worker script ${mode}: the page falls back to the single-threaded build`, async (t) => {
      const r = await s.run(`pkg-${mode}`, 'load', load);
      t.diagnostic(`settled in ${Math.round(r.ms)} ms: ${r.runtime?.fallback ?? JSON.stringify(r.error)}`);
      assertFallback(r, why);
    });
  }

  test('pthread worker script 404 inside bertology/worker: the worker falls back too', async (t) => {
    const r = await s.run('pkg', 'client', { ...load, workerUrl: '/entry/pkg-404.mjs' });
    t.diagnostic(`settled in ${Math.round(r.ms)} ms: ${r.runtime?.fallback ?? JSON.stringify(r.error)}`);
    assertFallback(r, /failed to load/);
  });

  test('a missing .wasm is a RUNTIME error naming it and the fix (no hang, no fallback that hides it)', async (t) => {
    for (const threads of [2, 1]) {
      const r = await s.run('pkg-nowasm', 'load', { ...load, threads });
      t.diagnostic(`settled in ${Math.round(r.ms)} ms: ${JSON.stringify(r.error)}`);
      assert.equal(r.error?.code, 'RUNTIME', JSON.stringify(r));
      assert.match(r.error.message, threads === 2 ? /bertology\.wasm/ : /bertology-st\.wasm/);
      assert.match(r.error.message, /HTTP 404/);
      assert.match(r.error.message, /env\.wasmPaths/);
      assert.deepEqual(r.uncaught, []);
    }
  });

  test('bertology/worker script 404: WORKER error', async (t) => {
    const r = await s.run('pkg', 'client', { ...load, workerUrl: '/entry/missing.mjs' });
    t.diagnostic(`settled in ${Math.round(r.ms)} ms: ${r.error?.message}`);
    assertWorkerError(r, /did not start/);
  });

  test('bertology/worker script with a syntax error: WORKER error', async (t) => {
    const r = await s.run('pkg', 'client', { ...load, workerUrl: '/entry/syntax.mjs' });
    t.diagnostic(`settled in ${Math.round(r.ms)} ms: ${r.error?.message}`);
    assertWorkerError(r, /did not start/);
  });

  test('a worker script that is not bertology/worker (never answers): WORKER error after the bound', async (t) => {
    const r = await s.run('pkg', 'client', { ...load, workerUrl: '/entry/silent.mjs' });
    t.diagnostic(`settled in ${Math.round(r.ms)} ms: ${r.error?.message}`);
    assertWorkerError(r, new RegExp(`no answer within ${WORKER_TIMEOUT} ms`));
    assert.ok(r.ms >= WORKER_TIMEOUT - 50, `settled after ${r.ms} ms, before the bound`);
  });
});

describe('workers blocked by Content-Security-Policy (worker-src \'none\')', { skip }, () => {
  /** @type {Awaited<ReturnType<typeof session>>} */
  let s;
  before(async () => { s = await session({ csp: "worker-src 'none'" }); });
  after(async () => {
    if (s) {
      assert.deepEqual(s.pageErrors, []);
      await s.close();
    }
  });
  const load = { source: '/models/bert-mini-sst2/', threads: 2, workerTimeout: WORKER_TIMEOUT, texts: TEXTS };

  test('pthread workers blocked: the page falls back to the single-threaded build', async (t) => {
    const r = await s.run('pkg', 'load', load);
    t.diagnostic(`settled in ${Math.round(r.ms)} ms: ${r.runtime?.fallback ?? JSON.stringify(r.error)}`);
    assertFallback(r, /./);
  });

  test('bertology/worker blocked: WORKER error (or the Worker constructor throws)', async (t) => {
    const r = await s.run('pkg', 'client', { ...load, workerUrl: '/entry/pkg.mjs' });
    t.diagnostic(`settled in ${Math.round(r.ms)} ms: ${JSON.stringify(r.error)}`);
    if (r.error?.code === 'THROWN') return; // the app's own `new Worker` threw: nothing reached bertology
    assertWorkerError(r, /did not start/);
  });
});
