// Relaxed SIMD in Chromium (Debian's /usr/bin/chromium, relaxed SIMD on by default since 114): the
// relaxed int8 kernels against their scalar references (tests/wasm/test_kernels_wasm.cc built for the
// web), and the relaxed-SIMD builds of the package (threads and single-threaded) on int8 sentiment:
// the logits of 160 SST-2 dev sentences must be bitwise those of the SIMD128 build in Node 20.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BROWSER_SKIP, launchChromium } from './chromium.mjs';
import { BertologyModel } from '../../js/index.js';
import { REPO, readSharedJson, sharedPath } from '../js/helpers/shared.js';
import { startHubServer } from '../js/helpers/hf-server.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const BUILD = join(REPO, 'build', 'wasm');
const skip = BROWSER_SKIP ||
  (!existsSync(join(BUILD, 'test_kernels_wasm_relaxed_web.wasm')) && 'relaxed kernel test not built (npm run build)') ||
  (!existsSync(join(REPO, 'dist', 'bertology-relaxed.wasm')) && 'relaxed builds missing (npm run build)');

/** @type {any} */
let s;
/** @type {string[]} */
let texts;
before(async () => {
  if (skip) return;
  texts = readSharedJson('reference', 'bert-mini-sst2.sst2-dev.json').texts.slice(0, 160);
  const server = await startHubServer({
    coi: true,
    extraRoots: { '/': join(HERE, 'fixtures'), '/pkg/js/': join(REPO, 'js'), '/pkg/dist/': join(REPO, 'dist'),
      '/build/': BUILD, '/models/': sharedPath('models') },
  });
  const { context, userDataDir } = await launchChromium('bertology-relaxed-');
  const page = context.pages()[0] ?? await context.newPage();
  /** @type {string[]} */
  const messages = [];
  page.on('console', (/** @type {any} */ m) => messages.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (/** @type {any} */ e) => messages.push(`pageerror: ${e.message}`));
  await page.goto(new URL("relaxed.html", server.url).href);
  await page.waitForFunction(() => /** @type {any} */ (window).relaxedReady === true, null, { timeout: 30_000 });
  s = {
    messages,
    /** @param {string} fn @param {any} arg */
    run: (fn, arg) => page.evaluate(([f, a]) => /** @type {any} */ (window).relaxedTest[f](a), [fn, arg]),
    close: async () => { await context.close(); await server.close(); rmSync(userDataDir, { recursive: true, force: true }); },
  };
});
after(async () => { await s?.close(); });

test('Chromium: relaxed-SIMD int8 kernels equal their scalar references', { skip }, async (t) => {
  const r = await s.run('kernels', null);
  t.diagnostic(r.lines.join('\n'));
  assert.equal(r.relaxed, true, 'relaxed SIMD detected');
  assert.ok(r.lines.some((l) => l.startsWith('PASS: ') && l.includes('relaxed SIMD')), s.messages.join('\n'));
  assert.ok(!r.lines.some((l) => l.startsWith('FAIL')));
});

test('Chromium: relaxed-SIMD builds give the SIMD128 build\'s int8 logits bitwise (threads and single)', { skip }, async (t) => {
  const model = await BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { threads: 2, dtype: 'q8' });
  const hash = createHash('sha256');
  for (let i = 0; i < texts.length; i += 16) {
    const { data } = model.forward(texts.slice(i, i + 16)).logits;
    hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  const want = hash.digest('hex');
  assert.equal(JSON.parse(model.runtime.module.kernels()).simd, 'simd128');
  model.dispose();
  for (const threads of [2, 1]) {
    const r = await s.run('q8', { texts, threads });
    t.diagnostic(`Chromium ${r.variant} ${threads}T: ${JSON.stringify(r.kernels)} ${r.sha256.slice(0, 12)} (Node ${want.slice(0, 12)})`);
    assert.equal(r.kernels.simd, 'relaxed');
    assert.equal(r.variant, threads === 1 ? 'single' : 'threads');
    assert.equal(r.build, `${r.variant}-relaxed`, 'the runtime picked the relaxed build');
    assert.equal(r.sha256, want, `${threads} thread(s)`);
  }
});
