// Remote model sources against a local stand-in for the hub on 127.0.0.1 (tests/js/helpers/hf-server.js):
// base URLs, Hugging Face ids with a configured host, progress events, sharded weights, HTTP failures
// (404, 500, HTML instead of JSON, connection refused), SHA-256 checks, a cache, concurrent models.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { BertologyError, BertologyModel, env } from '../../js/index.js';
import { SKIP_REASON, sharedPath } from './helpers/shared.js';
import { modelFilePath, modelFileSizes, sha256File, startHubServer } from './helpers/hf-server.js';

const TEXTS = ['a great , moving film .', 'the plot is dull and the acting is worse .', 'it is a movie .'];
const skip = SKIP_REASON;

/** @type {Awaited<ReturnType<typeof startHubServer>>} */
let hub;
/** @type {any[][]} */
let expected;

before(async () => {
  if (skip) return;
  hub = await startHubServer();
  const local = await BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { threads: 2 });
  expected = local.classify(TEXTS);
  local.dispose();
});
after(() => hub?.close());

/** @param {any[][]} got */
function assertSameScores(got, want = expected) {
  assert.equal(got.length, want.length);
  got.forEach((scores, i) => scores.forEach((s, j) => {
    assert.equal(s.label, want[i][j].label);
    assert.ok(Math.abs(s.score - want[i][j].score) <= 1e-6, `${s.score} vs ${want[i][j].score}`);
  }));
}

/**
 * @param {Promise<unknown>} promise
 * @param {string} code
 * @param {RegExp[]} patterns
 */
async function assertFails(promise, code, patterns) {
  const err = await promise.then((m) => { /** @type {any} */ (m)?.dispose?.(); return null; }, (e) => e);
  assert.ok(err instanceof BertologyError, `expected a BertologyError, got ${err}`);
  assert.equal(err.code, code, err.message);
  for (const p of patterns) assert.match(err.message, p);
  return err;
}

/** Per file: initiate, download, progress (non-decreasing, final loaded == total == size), done; 'ready' last. */
function assertProgress(/** @type {any[]} */ events, /** @type {Map<string, number>} */ sizes, name = '') {
  assert.equal(events.at(-1).status, 'ready');
  assert.equal(events.filter((e) => e.status === 'ready').length, 1);
  const files = new Set(events.filter((e) => e.file).map((e) => e.file));
  assert.deepEqual([...files].sort(), [...sizes.keys()].sort(), 'events for exactly the model files');
  for (const [file, size] of sizes) {
    const mine = events.filter((e) => e.file === file);
    if (name) assert.ok(mine.every((e) => e.name === name));
    assert.deepEqual(mine.slice(0, 2).map((e) => e.status), ['initiate', 'download'], file);
    assert.equal(mine.at(-1).status, 'done', file);
    const progress = mine.slice(2, -1);
    assert.ok(progress.length >= 1 && progress.every((e) => e.status === 'progress'), file);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i].loaded >= progress[i - 1].loaded, `${file} monotonic`);
    const last = progress.at(-1);
    assert.equal(last.loaded, size, `${file} loaded`);
    assert.equal(last.total, size, `${file} total`);
    assert.equal(last.progress, 100, `${file} progress`);
  }
}

test('http: load by base URL, sharded weights, progress events', { skip }, async () => {
  const events = [];
  const url = `${hub.url}shared/bert-mini-sst2/resolve/main/`;
  const model = await BertologyModel.load(url, { threads: 2, progress_callback: (e) => events.push(e) });
  try {
    assertSameScores(model.classify(TEXTS));
    assertProgress(events, modelFileSizes('shared', 'bert-mini-sst2'), url);
    assert.ok([...modelFileSizes('shared', 'bert-mini-sst2').keys()].filter((f) => /-of-/.test(f)).length === 2, 'sharded');
    assert.equal(model.runtime.variant, 'threads');
    assert.equal(model.runtime.threads, 2);
  } finally {
    model.dispose();
  }
  // without the trailing slash, and as a URL object
  const m2 = await BertologyModel.load(new URL(url.slice(0, -1)), { threads: 1 });
  assertSameScores(m2.classify(TEXTS));
  assert.equal(m2.runtime.variant, 'single');
  m2.dispose();
});

test('http: Hugging Face id with a configured host (option and env), revision', { skip }, async () => {
  const events = [];
  const model = await BertologyModel.load('shared/bert-mini-sst2', { host: hub.url, threads: 1, progress_callback: (e) => events.push(e) });
  assertSameScores(model.classify(TEXTS));
  assert.ok(events.every((e) => e.name === 'shared/bert-mini-sst2'));
  assert.deepEqual(events.at(-1), { status: 'ready', name: 'shared/bert-mini-sst2', model: 'shared/bert-mini-sst2' });
  model.dispose();

  const saved = env.remoteHost;
  env.remoteHost = hub.url.slice(0, -1); // no trailing slash
  try {
    const before = hub.requests.length;
    const m = await BertologyModel.load('shared/bert-mini-sst2', { threads: 1 });
    assertSameScores(m.classify(TEXTS));
    m.dispose();
    const urls = hub.requests.slice(before).map((r) => r.url);
    assert.ok(urls.includes('/shared/bert-mini-sst2/resolve/main/config.json'), urls.join(' '));
    const err = await assertFails(BertologyModel.load('shared/bert-mini-sst2', { revision: 'v2.0' }), 'FILE_NOT_FOUND',
      [/config\.json/, /resolve\/v2\.0\/config\.json/, /404/]);
    assert.equal(err.status, 404);
    assert.match(err.url, /^http:\/\/127\.0\.0\.1:\d+\/shared\/bert-mini-sst2\/resolve\/v2\.0\/config\.json$/);
  } finally {
    env.remoteHost = saved;
  }
});

test('http: a model without tokenizer files loads (optional 404s)', { skip }, async () => {
  const name = 'tiny-bert-bert-sequenceclassification';
  const events = [];
  const model = await BertologyModel.load(`tiny/${name}`, { host: hub.url, threads: 1, progress_callback: (e) => events.push(e) });
  assert.equal(model.info.has_tokenizer, false);
  assertProgress(events, modelFileSizes('tiny', name));
  model.dispose();
});

test('http: missing required files are named with URL and status', { skip }, async () => {
  const base = `${hub.url}shared/no-such-model/resolve/main/`;
  const e1 = await assertFails(BertologyModel.load(base), 'FILE_NOT_FOUND', [/config\.json/, new RegExp(`${base}config\\.json`), /HTTP 404/]);
  assert.equal(e1.status, 404);
  await assertFails(BertologyModel.load('noshard/bert-mini-sst2', { host: hub.url }), 'FILE_NOT_FOUND',
    [/model-00002-of-00002\.safetensors/, /noshard\/bert-mini-sst2\/resolve\/main\/model-00002-of-00002\.safetensors/, /404/]);
});

test('http: an HTML page instead of JSON is reported as such', { skip }, async () => {
  const e = await assertFails(BertologyModel.load('html/bert-mini-sst2', { host: hub.url }), 'BAD_RESPONSE',
    [/HTML/, /config\.json/, /instead of JSON/]);
  assert.match(e.url, /html\/bert-mini-sst2\/resolve\/main\/config\.json$/);
  // HTML served with a JSON content type is recognised by its content
  await assertFails(BertologyModel.load(`${hub.url}html-json/bert-mini-sst2/resolve/main/`), 'BAD_RESPONSE', [/HTML/]);
});

test('http: server error and connection refused', { skip }, async () => {
  const e = await assertFails(BertologyModel.load('e500/bert-mini-sst2', { host: hub.url }), 'NETWORK', [/HTTP 500/, /config\.json/]);
  assert.equal(e.status, 500);
  // a port nobody listens on
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = /** @type {import('node:net').AddressInfo} */ (s.address()).port;
      s.close(() => resolve(p));
    });
  });
  await assertFails(BertologyModel.load(`http://127.0.0.1:${port}/m/`), 'NETWORK',
    [new RegExp(`http://127\\.0\\.0\\.1:${port}/m/config\\.json`), /ECONNREFUSED|fetch failed/]);
});

test('http: bodies without Content-Length', { skip }, async () => {
  const events = [];
  const model = await BertologyModel.load('nolength/bert-mini-sst2', { host: hub.url, progress_callback: (e) => events.push(e) });
  assertSameScores(model.classify(TEXTS));
  model.dispose();
  assertProgress(events, modelFileSizes('shared', 'bert-mini-sst2'));
  const mid = events.filter((e) => e.status === 'progress' && e.file === 'model-00001-of-00002.safetensors').slice(0, -1);
  assert.ok(mid.length > 0 && mid.every((e) => e.total === 0), 'total unknown until the end');
});

test('http: SHA-256 from the sha256 option and from X-Linked-Etag', { skip }, async () => {
  const shard = 'model-00001-of-00002.safetensors';
  const good = sha256File(modelFilePath('shared', 'bert-mini-sst2', shard));
  const m = await BertologyModel.load('shared/bert-mini-sst2', { host: hub.url, sha256: { [shard]: good.toUpperCase() } });
  m.dispose();
  await assertFails(BertologyModel.load('shared/bert-mini-sst2', { host: hub.url, sha256: { [shard]: 'ab'.repeat(32) } }),
    'INTEGRITY', [/SHA-256 mismatch/, new RegExp(shard), new RegExp(good)]);
  const m2 = await BertologyModel.load('etag/bert-mini-sst2', { host: hub.url });
  assertSameScores(m2.classify(TEXTS));
  m2.dispose();
  await assertFails(BertologyModel.load('badetag/bert-mini-sst2', { host: hub.url }), 'INTEGRITY', [/X-Linked-Etag/, /mismatch/]);
});

test('http: cache (a Cache-like object): second load from the cache, bad cached copy refetched', { skip }, async () => {
  /** @type {Map<string, Uint8Array>} */
  const store = new Map();
  const cache = {
    match: async (/** @type {string} */ url) => (store.has(url) ? new Response(store.get(url)) : undefined),
    put: async (/** @type {string} */ url, /** @type {Response} */ r) => { store.set(url, new Uint8Array(await r.arrayBuffer())); },
    delete: async (/** @type {string} */ url) => store.delete(url),
  };
  // the server logs a request when its response has finished: let the log settle first
  const count = async () => { await new Promise((r) => setTimeout(r, 100)); return hub.requests.filter((r) => r.url.startsWith('/cached/')).length; };
  const n0 = await count();
  (await BertologyModel.load('cached/bert-mini-sst2', { host: hub.url, cache })).dispose();
  const n1 = await count();
  assert.ok(n1 - n0 >= 5);
  assert.equal(store.size, 6, [...store.keys()].join(' ')); // config, index, 2 shards, 2 tokenizer files
  const model = await BertologyModel.load('cached/bert-mini-sst2', { host: hub.url, cache });
  assertSameScores(model.classify(TEXTS));
  model.dispose();
  // only the (uncached) 404 probes are requested again: none here, every file exists
  assert.equal(await count(), n1, 'second load served from the cache');
  // a corrupted cached shard with a known hash is fetched again
  const shard = 'model-00002-of-00002.safetensors';
  const key = [...store.keys()].find((k) => k.endsWith(shard));
  const bad = /** @type {Uint8Array} */ (store.get(/** @type {string} */ (key))).slice();
  bad[bad.length - 1] ^= 0xff;
  store.set(/** @type {string} */ (key), bad);
  const sha = sha256File(modelFilePath('shared', 'bert-mini-sst2', shard));
  const m3 = await BertologyModel.load('cached/bert-mini-sst2', { host: hub.url, cache, sha256: { [shard]: sha } });
  assertSameScores(m3.classify(TEXTS));
  m3.dispose();
  assert.equal(await count(), n1 + 1);
  assert.ok(hub.requests.filter((r) => r.url.startsWith('/cached/')).at(-1)?.url.endsWith(shard));
  // cache: true without a Cache API (Node) just downloads
  (await BertologyModel.load('cached/bert-mini-sst2', { host: hub.url, cache: true })).dispose();
});

test('http: two models loaded concurrently, used interleaved; dispose then reuse', { skip }, async () => {
  const [sst2, mlm] = await Promise.all([
    BertologyModel.load('shared/bert-mini-sst2', { host: hub.url, threads: 2 }),
    BertologyModel.load(`${hub.url}shared/bert-mini-mlm/resolve/main/`, { threads: 2 }),
  ]);
  assert.equal(sst2.runtime, mlm.runtime, 'same runtime');
  const mlmLocal = await BertologyModel.load(sharedPath('models', 'bert-mini-mlm'), { threads: 2 });
  const wantMlm = mlmLocal.forward('the cat sat on the [MASK] .').logits;
  mlmLocal.dispose();
  for (let i = 0; i < 3; i++) {
    assertSameScores(sst2.classify(TEXTS));
    const got = /** @type {any} */ (mlm.forward('the cat sat on the [MASK] .').logits);
    assert.deepEqual(got.dims, wantMlm?.dims);
    assert.deepEqual(Array.from(got.data), Array.from(wantMlm?.data ?? []));
  }
  sst2.dispose();
  assert.throws(() => sst2.classify('x'), (e) => e instanceof BertologyError && e.code === 'DISPOSED');
  assert.ok(mlm.forward('still [MASK] .').logits, 'the other model is unaffected');
  const again = await BertologyModel.load('shared/bert-mini-sst2', { host: hub.url, threads: 2 });
  assertSameScores(again.classify(TEXTS));
  again.dispose();
  mlm.dispose();
});
