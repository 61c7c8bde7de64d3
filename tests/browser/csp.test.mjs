// The package under a strict Content-Security-Policy in headless Chromium (playwright-core +
// /usr/bin/chromium): every response of the local server (web/dev-server.mjs on 127.0.0.1) carries
//
//   Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval'; report-uri /csp-report
//
// (report-uri only adds reporting: violations of the page, its Web Worker and the engine's pthread
// workers are POSTed to the server). The page (tests/browser/fixtures/csp/, no inline script, no
// import map: the package is imported by path) runs sentiment on bert-mini-sst2 with pipeline() on
// the main thread and in a module Web Worker (the package's worker entry), cross-origin isolated
// (threaded build, 2 threads, pthread workers) and not (single-threaded build). Scores must match
// Hugging Face's pipeline (SST-2 dev reference, 1e-4), and nothing may be reported: no
// securitypolicyviolation event on the page or in the worker, no CSP report, no CSP message in the
// console (CDP Log entries), no page error, no failed request. Positive controls show each
// channel works, so their silence means something: eval in the worker and on the page, and an
// inline script inserted by the page, must be blocked and reported (events, reports; the inline
// script also in the console). Skips when Chromium, playwright-core, the build or the shared
// assets are missing.
//
// Run: node --test tests/browser/csp.test.mjs   (CHROMIUM=/path/to/chromium to override the browser)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BROWSER_SKIP, launchChromium } from './chromium.mjs';
import { startDevServer } from '../../web/dev-server.mjs';
import { REPO, readSharedJson, sharedPath } from '../js/helpers/shared.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const POLICY = "script-src 'self' 'wasm-unsafe-eval'";
const SENTENCES = [0, 1, 2, 3, 4, 5];   // SST-2 dev indices (reference/bert-mini-sst2.sst2-dev.json)

const skip = BROWSER_SKIP;

/** @type {any} */
let ref;
before(() => {
  if (!skip) ref = readSharedJson('reference', 'bert-mini-sst2.sst2-dev.json');
});

/** @param {any[][]} got */
function assertReference(got) {
  assert.equal(got.length, SENTENCES.length);
  got.forEach((scores, k) => {
    const want = ref.outputs[SENTENCES[k]];
    assert.deepEqual(scores.map((s) => s.label), want.map((/** @type {any} */ s) => s.label), `sentence ${SENTENCES[k]}`);
    scores.forEach((s, j) => assert.ok(Math.abs(s.score - want[j].score) <= 1e-4, `sentence ${SENTENCES[k]}: ${s.score} vs ${want[j].score}`));
  });
}

/** @param {boolean} coi */
async function session(coi) {
  /** @type {any[]} */
  const reports = [];
  const server = await startDevServer({
    roots: { '/': join(HERE, 'fixtures', 'csp'), '/pkg/js/': join(REPO, 'js'), '/pkg/dist/': join(REPO, 'dist'), '/models/': sharedPath('models') },
    coi,
    headers: { 'Content-Security-Policy': `${POLICY}; report-uri /csp-report` },
    handler: async (req, res, url) => {
      if (url.pathname !== '/csp-report') return false;
      let body = '';
      for await (const chunk of req) body += chunk;
      try {
        reports.push(JSON.parse(body)['csp-report'] ?? JSON.parse(body));
      } catch {
        reports.push({ unparsed: body });
      }
      res.writeHead(204).end();
      return true;
    },
  });
  const { context, userDataDir } = await launchChromium('bertology-chromium-csp-');
  /** @type {string[]} */
  const external = [];
  context.on('request', (/** @type {any} */ r) => {
    const u = new URL(r.url());
    if (u.hostname !== '127.0.0.1' && !['data:', 'blob:'].includes(u.protocol)) external.push(u.href);
  });
  const page = context.pages()[0] ?? await context.newPage();
  /** @type {string[]} */
  const consoleLines = [];
  /** @type {string[]} */
  const pageErrors = [];
  const onConsole = (/** @type {string} */ where) => (/** @type {any} */ m) => consoleLines.push(`${where} ${m.type()}: ${m.text()}`);
  page.on('console', onConsole('page'));
  page.on('worker', (/** @type {any} */ w) => w.on('console', onConsole(`worker ${w.url()}`)));
  page.on('pageerror', (/** @type {any} */ e) => pageErrors.push(e.message));
  // Chromium logs CSP violations as browser log entries (not console API calls): read them over CDP
  const cdp = await context.newCDPSession(page);
  cdp.on('Log.entryAdded', (/** @type {any} */ { entry }) => consoleLines.push(`log ${entry.source} ${entry.level}: ${entry.text}`));
  await cdp.send('Log.enable');
  const response = await page.goto(server.url);
  await page.waitForFunction(() => /** @type {any} */ (window).cspReady === true, null, { timeout: 30_000 });
  return {
    server, page, reports, external, consoleLines, pageErrors,
    headers: await response.allHeaders(),
    /** @param {string} fn @param {any} [arg] */
    run: (fn, arg) => page.evaluate(([f, a]) => /** @type {any} */ (window).cspTest[f](a), [fn, arg]),
    close: async () => {
      await context.close();
      await server.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

const cspConsole = (/** @type {string[]} */ lines) => lines.filter((l) => /Content Security Policy|Content-Security-Policy/i.test(l));

for (const coi of [true, false]) {
  describe(`strict CSP: ${coi ? 'cross-origin isolated → threads' : 'not isolated → single-threaded'}`, { skip }, () => {
    /** @type {Awaited<ReturnType<typeof session>>} */
    let s;
    before(async () => { s = await session(coi); });
    after(async () => {
      if (!s) return;
      assert.deepEqual(s.external, [], 'no request leaves 127.0.0.1');
      await s.close();
    });
    const texts = () => SENTENCES.map((i) => ref.texts[i]);

    test('sentiment runs on the main thread and in a Web Worker with no CSP violation', async (t) => {
      try {
        assert.equal(s.headers['content-security-policy'], `${POLICY}; report-uri /csp-report`);
        const main = await s.run('main', { source: '/models/bert-mini-sst2/', texts: texts(), options: { threads: 2 } });
        assert.equal(main.crossOriginIsolated, coi);
        assert.deepEqual(main.runtime, coi ? { variant: 'threads', threads: 2 } : { variant: 'single', threads: 1 });
        assertReference(main.scores);

        const worker = await s.run('worker', { source: '/models/bert-mini-sst2/', texts: texts(), options: { threads: 2 } });
        assert.deepEqual(worker.runtime, coi ? { variant: 'threads', threads: 2 } : { variant: 'single', threads: 1 });
        assertReference(worker.scores);
        assert.equal(worker.probe.blocked, true, 'eval in the worker is blocked (positive control)');

        const served = s.server.requests.map((r) => r.url);
        // Chromium has relaxed SIMD: the relaxed-SIMD twin of the variant's build
        assert.ok(served.includes(coi ? '/pkg/dist/bertology-relaxed.wasm' : '/pkg/dist/bertology-st-relaxed.wasm'), served.join(' '));
        if (coi) assert.ok(served.includes('/pkg/dist/bertology-relaxed.worker.mjs'), 'pthread workers started (the ES-module worker)');

        // Everything before the probes: silence. The worker's probe is the only violation so far.
        const violations = await s.run('violations');
        assert.deepEqual(violations.filter((/** @type {any} */ v) => !(v.where === 'worker' && v.blocked === 'eval')), [],
          'no securitypolicyviolation on the page or in the worker');
        assert.equal(violations.length, 1, `the worker's eval probe is reported in the worker: ${JSON.stringify(violations)}`);
        assert.deepEqual(cspConsole(s.consoleLines), [], 'no CSP message in the console');
        assert.deepEqual(s.pageErrors, []);
        // (the shared checkpoint is sharded: the loader's request for the usual single model.safetensors,
        // made at once beside the index's, is answered 404)
        assert.deepEqual(s.server.requests.filter((r) => r.status >= 400 && r.url !== '/favicon.ico' &&
          !(r.status === 404 && /^\/models\/[^/]+\/model\.safetensors$/.test(r.url))), [], 'every request succeeded');
      } catch (e) {
        t.diagnostic(s.consoleLines.join('\n'));
        throw e;
      }
    });

    test('positive controls: eval and an inline script on the page are blocked and reported', async () => {
      const before = (await s.run('violations')).length;
      assert.equal((await s.run('probeEval')).blocked, true, 'eval is blocked');
      assert.equal((await s.run('probeInline')).blocked, true, 'an inline script does not run');
      const violations = (await s.run('violations')).slice(before);
      assert.deepEqual(violations.map((/** @type {any} */ v) => [v.where, v.directive, v.blocked]),
        [['page', 'script-src', 'eval'], ['page', 'script-src-elem', 'inline']]);
      // reports: the three probes (worker eval, page eval, page inline script) and nothing else
      const deadline = Date.now() + 10_000;
      while (s.reports.length < 3 && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 100));
      await new Promise((ok) => setTimeout(ok, 300));
      assert.deepEqual(s.reports.map((r) => r['blocked-uri']).sort(), ['eval', 'eval', 'inline'], JSON.stringify(s.reports));
      for (const r of s.reports) assert.match(r['violated-directive'] ?? r['effective-directive'], /^script-src/);
      // console (Chromium logs blocked script elements, not caught eval errors): the inline probe only
      const csp = cspConsole(s.consoleLines);
      assert.ok(csp.length >= 1 && csp.every((l) => /inline script/.test(l)), csp.join('\n'));
      assert.deepEqual(s.pageErrors, []);
    });
  });
}
