// The MV3 extension (examples/extension, built by scripts/build-extension.mjs) in Debian's Chromium,
// new headless mode, loaded unpacked. A local test page (127.0.0.1) has a sentence selected; the
// extension's action is triggered through its message API (what the context menu and the shortcut
// call) and through the popup page. Label and score must equal the Node API's result for the same
// text (BertologyModel.load + classify, single-threaded like the extension). Every request for a
// host other than 127.0.0.1, from any part of the browser, goes to a recording proxy that must
// stay unused; with the model downloaded from a URL, nothing is requested once it is cached.
//
// Run: node --test tests/extension/   (CHROMIUM=..., BERTOLOGY_DIST=dir with another bertology-st.*)
// Figures (load, latency, memory) are printed as test diagnostics.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BertologyModel, setModuleImporter } from '../../js/index.js';
import { REPO, SKIP_REASON, sharedPath } from '../js/helpers/shared.js';
import { startDevServer } from '../../web/dev-server.mjs';
import { buildExtension } from '../../scripts/build-extension.mjs';
import { CHROMIUM, extensionProcessRss, launchWithExtension, netLogRequests, playwright, scanForRemoteCode, startTrapProxy } from './helpers.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = process.env.BERTOLOGY_DIST ?? join(REPO, 'dist');
const IDLE_SECONDS = 4;

const skip = SKIP_REASON ||
  (!playwright && 'playwright-core is not installed (npm install)') ||
  (!existsSync(CHROMIUM) && `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`) ||
  (!existsSync(join(DIST, 'bertology-st.wasm')) && `${DIST} is not built (npm run build)`);

const MB = (/** @type {number} */ b) => `${(b / 2 ** 20).toFixed(1)} MB`;
const sleep = (/** @type {number} */ ms) => new Promise((ok) => setTimeout(ok, ms));

/** @type {BertologyModel} the model as downloaded from a URL (the shared folder, fp32) */
let reference;
/** @type {BertologyModel} the bundled model: its q8 conversion, equal to loading it with dtype q8 */
let referenceQ8;
/** @type {string[]} */
const tmpDirs = [];
const tmp = (/** @type {string} */ prefix) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
};

before(async () => {
  if (skip) return;
  // the same single-threaded build the extension ships
  if (process.env.BERTOLOGY_DIST) setModuleImporter({ single: () => import(join(DIST, 'bertology-st.mjs')) });
  reference = await BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { threads: 1 });
  referenceQ8 = await BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { threads: 1, dtype: 'q8' });
});
after(() => {
  reference?.dispose();
  referenceQ8?.dispose();
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

/**
 * @param {any} got {label, score} from the extension
 * @param {string} text
 */
function assertSameAsNode(got, text, model = reference) {
  const [top] = model.classify(text);
  assert.equal(got.label, top.label, text);
  assert.ok(Math.abs(got.score - top.score) <= 1e-7, `${text}: extension ${got.score}, Node ${top.score}`);
}

/**
 * A browser with a fresh build of the extension (or an earlier one: `reuse`), the test page server
 * and the trap proxy.
 * @param {{modelUrl?: (server: any) => string, userDataDir?: string, reuse?: {extDir: string, port: number}}} [options]
 */
async function session(options = {}) {
  const server = await startDevServer({
    roots: { '/': join(HERE, 'fixtures'), '/models/': sharedPath('models') }, coi: false, port: options.reuse?.port ?? 0,
    headers: { 'Access-Control-Allow-Origin': '*' }, // the URL-mode model download is a CORS request
  });
  const proxy = await startTrapProxy();
  // an unpacked extension's id (its origin, hence its caches) follows its directory
  const extDir = options.reuse?.extDir ?? join(tmp('bertology-ext-'), 'extension');
  if (!options.reuse) {
    buildExtension({
      out: extDir, distDir: DIST, idleSeconds: IDLE_SECONDS, quiet: true,
      modelUrl: options.modelUrl?.(server), allowHosts: ['http://127.0.0.1/*'],
    });
  }
  const userDataDir = options.userDataDir ?? tmp('bertology-ext-profile-');
  const netLog = join(tmp('bertology-netlog-'), 'netlog.json');
  const browser = await launchWithExtension(extDir, userDataDir, proxy.url, netLog);
  const popup = await browser.context.newPage();
  await popup.goto(`chrome-extension://${browser.id}/popup.html`);
  /** @param {any} msg */
  const send = (msg) => popup.evaluate((m) => chrome.runtime.sendMessage({ ...m, target: 'background' }), msg);
  const offscreenOpen = () => browser.worker.evaluate(async () =>
    (await chrome.runtime.getContexts({ contextTypes: ['OFFSCREEN_DOCUMENT'] })).length > 0);
  return {
    ...browser, server, proxy, extDir, userDataDir, popup, send, offscreenOpen, netLog,
    closed: false,
    async close() {
      if (this.closed) return;
      this.closed = true;
      await browser.context.close();
      await server.close();
      await proxy.close();
    },
  };
}

/**
 * Nothing leaves 127.0.0.1: every non-loopback request went to the trap proxy (which refuses all),
 * and none of them came from a page, a worker or the extension: those the NetLog attributes to an
 * origin must be loopback. What is left is Chromium's own background traffic (listed).
 * @param {any} t
 * @param {{netLog: string, proxy: {requests: string[]}}} s
 */
function assertNoExternalRequests(t, s) {
  const requests = netLogRequests(s.netLog);
  assert.ok(requests.length > 0, 'the NetLog recorded requests');
  const fromContent = requests.filter((r) => r.external && r.initiator !== 'not an origin');
  assert.deepEqual(fromContent, [], 'no page, worker or extension request leaves 127.0.0.1');
  const own = [...new Set(requests.filter((r) => r.external).map((r) => new URL(r.url).host))];
  t.diagnostic(`Chromium's own requests, refused by the trap proxy: ${own.join(', ') || 'none'} (${s.proxy.requests.length} proxy requests)`);
}

describe('extension with the bundled model', { skip }, () => {
  /** @type {Awaited<ReturnType<typeof session>>} */
  let s;
  before(async () => { s = await session(); });
  after(() => s?.close());

  test('build: model inside, CSP, no remote code', () => {
    const manifest = JSON.parse(readFileSync(join(s.extDir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.content_security_policy.extension_pages,
      "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'; connect-src 'self'");
    // the q8 conversion (docs/checkpoint-format.md), not the float16 shards
    assert.ok(existsSync(join(s.extDir, 'model', 'model.safetensors')));
    assert.equal(JSON.parse(readFileSync(join(s.extDir, 'model', 'config.json'), 'utf8')).quantization_config.format, 'q8');
    assert.deepEqual(scanForRemoteCode(s.extDir), []);
  });

  test('shortcut registered', async () => {
    const commands = await s.worker.evaluate(() => chrome.commands.getAll());
    const cmd = commands.find((/** @type {any} */ c) => c.name === 'analyse-selection');
    assert.equal(cmd?.shortcut, 'Alt+Shift+S');
  });

  test('selection on a page → action (message API) → tooltip equals Node', async (t) => {
    const page = await s.context.newPage();
    await page.goto(`${s.server.url}index.html`);
    const [tab] = await s.worker.evaluate((url) => chrome.tabs.query({ url }), `${s.server.url}index.html`);
    const served = s.server.requests.length;
    for (const id of ['negative', 'positive', 'mixed']) {
      const text = (await page.evaluate((i) => /** @type {any} */ (window).selectText(i), id)).trim();
      const rssBefore = extensionProcessRss();
      const t0 = Date.now();
      const result = await s.send({ type: 'analyse-tab', tabId: tab.id });
      const endToEnd = Date.now() - t0;
      assert.equal(result.error, undefined, result.error);
      assert.equal(result.text, text);
      assertSameAsNode(result, text, referenceQ8);
      const host = page.locator('#bertology-tooltip-host[data-label]');
      await host.waitFor({ state: 'attached', timeout: 10_000 });
      assert.equal(await host.getAttribute('data-label'), result.label);
      assert.equal(Number(await host.getAttribute('data-score')), result.score);
      const tip = page.getByRole('status', { name: 'Sentiment analysis' }); // inside the open shadow root
      await tip.waitFor({ state: 'visible' });
      const shown = await tip.textContent();
      assert.match(shown ?? '', new RegExp(`${result.label.charAt(0)}${result.label.slice(1).toLowerCase()} ${(result.score * 100).toFixed(1)}%`));
      if (result.loadMs !== null) {
        t.diagnostic(`first request: ${endToEnd} ms end to end (offscreen document, worker, wasm, model), ` +
          `of which model load ${result.loadMs.toFixed(0)} ms, inference ${result.inferenceMs.toFixed(1)} ms, ` +
          `wasm heap ${MB(result.heapBytes)}, extension process RSS ${rssBefore ? MB(rssBefore) : '?'} → ${MB(extensionProcessRss() ?? 0)}`);
      }
      else t.diagnostic(`warm action (selection → tooltip): ${endToEnd} ms end to end, inference ${result.inferenceMs.toFixed(1)} ms`);
      if (result.words) {
        // explanations in this build: words of the selection, shown in the tooltip
        for (const w of result.words) assert.ok(text.includes(w.word), `${w.word} is not in ${text}`);
        assert.equal(await host.getAttribute('data-words'), result.words.map((/** @type {any} */ w) => w.word).join(' '));
        t.diagnostic(`top words: ${result.words.map((/** @type {any} */ w) => w.word).join(', ')} (${result.explainMs.toFixed(0)} ms)`);
      }
    }
    // a selection inside a form field
    const inField = await page.evaluate(() => /** @type {any} */ (window).selectInField(8, 60));
    const fieldResult = await s.send({ type: 'analyse-tab', tabId: tab.id });
    assert.equal(fieldResult.text, inField.trim());
    assertSameAsNode(fieldResult, inField.trim(), referenceQ8);
    await page.locator(`#bertology-tooltip-host[data-score="${fieldResult.score}"]`).waitFor({ state: 'attached' });
    await page.keyboard.press('Escape');
    await page.locator('#bertology-tooltip-host').waitFor({ state: 'detached' });
    assert.deepEqual(s.server.requests.slice(served), [], 'the action itself requests nothing from the page server');
    await page.close();
  });

  test('popup: free text, last results', async () => {
    const text = 'An uneven but often funny comedy.';
    await s.popup.reload();
    await s.popup.getByLabel('Text to analyse').fill(text);
    await s.popup.getByRole('button', { name: 'Analyse' }).click();
    const out = s.popup.locator('#result[data-label]');
    await out.waitFor({ timeout: 10_000 });
    assertSameAsNode({ label: await out.getAttribute('data-label'), score: Number(await out.getAttribute('data-score')) }, text, referenceQ8);
    const recent = s.popup.getByRole('list', { name: 'Recent results' }).getByRole('listitem');
    await recent.first().waitFor();
    assert.equal(await recent.count(), 5);
    assert.match(await recent.first().textContent() ?? '', /An uneven but often funny comedy\./);
    assert.match(await s.popup.locator('#engine').textContent() ?? '', /Model loaded/);
  });

  test('latency: warm requests', async (t) => {
    const text = 'the plot is dull and the acting is worse .';
    /** @type {number[]} */
    const engine = [];
    /** @type {number[]} */
    const roundTrip = [];
    for (let i = 0; i < 20; i++) {
      const t0 = Date.now();
      const r = await s.send({ type: 'classify', text });
      roundTrip.push(Date.now() - t0);
      engine.push(r.inferenceMs);
    }
    const median = (/** @type {number[]} */ a) => [...a].sort((x, y) => x - y)[a.length >> 1];
    t.diagnostic(`warm (${text.split(' ').length} words): engine ${median(engine).toFixed(1)} ms, ` +
      `popup → service worker → offscreen → worker and back ${median(roundTrip)} ms (medians of 20)`);
    const long = readFileSync(join(HERE, 'fixtures', 'index.html'), 'utf8').replace(/<[^>]+>/g, ' ').repeat(6).slice(0, 1800);
    const r = await s.send({ type: 'classify', text: long });
    t.diagnostic(`long text (${long.length} chars, truncated to 512 tokens): engine ${r.inferenceMs.toFixed(0)} ms, wasm heap ${MB(r.heapBytes)}`);
  });

  test('the model is released when idle and loads again on demand', async (t) => {
    assert.equal(await s.offscreenOpen(), true);
    const rssLoaded = extensionProcessRss();
    const deadline = Date.now() + (IDLE_SECONDS + 10) * 1000;
    while (await s.offscreenOpen()) {
      assert.ok(Date.now() < deadline, 'offscreen document still open after the idle timeout');
      await sleep(250);
    }
    await sleep(500);
    t.diagnostic(`extension process RSS: loaded ${rssLoaded ? MB(rssLoaded) : '?'}, released ${MB(extensionProcessRss() ?? 0)}`);
    const status = await s.send({ type: 'status' });
    assert.equal(status.loaded, false);
    const text = 'It is a masterpiece.';
    const r = await s.send({ type: 'classify', text });
    assertSameAsNode(r, text, referenceQ8);
    assert.notEqual(r.loadMs, null, 'loaded again');
  });
  test('network: nothing but 127.0.0.1, and the extension fetches nothing', async (t) => {
    await s.close();
    assertNoExternalRequests(t, s);
    const fromExtension = netLogRequests(s.netLog).filter((r) => r.initiator === `chrome-extension://${s.id}`);
    assert.deepEqual(fromExtension, [], 'the bundled model is read from the extension package, not the network');
  });
});

describe('extension with the model downloaded from a URL (Cache API)', { skip }, () => {
  /** @type {Awaited<ReturnType<typeof session>>} */
  let s;
  const userDataDir = skip ? '' : tmp('bertology-ext-profile-url-');
  let modelUrl = '';
  const text = 'A great, moving film with wonderful performances.';
  const fromExtension = (/** @type {typeof s} */ x) =>
    netLogRequests(x.netLog).filter((r) => r.initiator === `chrome-extension://${x.id}`).map((r) => new URL(r.url).pathname);
  after(() => s?.close());

  test('downloaded once, then no request at all', async (t) => {
    s = await session({ modelUrl: (server) => (modelUrl = `${server.url}models/bert-mini-sst2/`), userDataDir });
    const manifest = JSON.parse(readFileSync(join(s.extDir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.content_security_policy.extension_pages,
      `script-src 'self' 'wasm-unsafe-eval'; object-src 'self'; connect-src 'self' ${new URL(modelUrl).origin}`);
    assert.equal(existsSync(join(s.extDir, 'model')), false, 'no model inside the extension');
    const first = await s.send({ type: 'classify', text });
    assert.equal(first.error, undefined, first.error);
    assertSameAsNode(first, text);
    const files = s.server.requests.map((q) => q.url).filter((u) => u.startsWith('/models/')).sort();
    // model.safetensors is asked for beside the index (js/sources/common.js): this sharded folder answers it 404
    const expected = ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors',
      'model.safetensors', 'model.safetensors.index.json', 'tokenizer.json', 'tokenizer_config.json']
      .map((f) => `/models/bert-mini-sst2/${f}`);
    assert.deepEqual(files, expected);
    t.diagnostic(`first load with download: ${first.loadMs.toFixed(0)} ms`);

    // released, then loaded again from the Cache API
    await s.send({ type: 'release' });
    assert.equal(await s.offscreenOpen(), false);
    const before = s.server.requests.length;
    const second = await s.send({ type: 'classify', text });
    assertSameAsNode(second, text);
    assert.notEqual(second.loadMs, null, 'loaded again');
    t.diagnostic(`load from the Cache API: ${second.loadMs.toFixed(0)} ms`);
    assert.deepEqual(s.server.requests.slice(before), [], 'no request once cached');
    await s.close();
    assertNoExternalRequests(t, s);
    assert.deepEqual(fromExtension(s).sort(), expected, 'the extension fetched the model files once, and nothing else');
  });

  test('after a browser restart: still from the cache, no request at all', async (t) => {
    // the same profile and unpacked directory; the server on the same port, so a request would be seen
    s = await session({ userDataDir, reuse: { extDir: s.extDir, port: Number(new URL(modelUrl).port) } });
    const third = await s.send({ type: 'classify', text });
    assert.equal(third.error, undefined, third.error);
    assertSameAsNode(third, text);
    assert.deepEqual(s.server.requests.filter((q) => q.url.startsWith('/models/')), [], 'nothing fetched after the restart');
    await s.close();
    assertNoExternalRequests(t, s);
    assert.deepEqual(fromExtension(s), [], 'the extension made no request');
  });
});
