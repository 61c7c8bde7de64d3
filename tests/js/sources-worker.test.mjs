// The worker entry (js/worker.js) and its client (js/worker-client.js), run here as a Node
// worker_threads worker (tests/browser/ runs the same entry as a Web Worker in Chromium).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { BertologyError, BertologyModel, createWorkerClient } from '../../js/index.js';
import { SKIP_REASON, sharedPath } from './helpers/shared.js';
import { startHubServer } from './helpers/hf-server.js';

const skip = SKIP_REASON;
const TEXTS = ['a great , moving film .', 'the plot is dull and the acting is worse .'];
const WORKER_URL = new URL('../../js/worker.js', import.meta.url);

/** @type {Awaited<ReturnType<typeof startHubServer>>} */
let hub;
/** @type {ReturnType<typeof createWorkerClient>} */
let client;
/** @type {any} */
let expected;

before(async () => {
  if (skip) return;
  hub = await startHubServer();
  client = createWorkerClient(new Worker(WORKER_URL));
  const local = await BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { threads: 2 });
  expected = local.classify(TEXTS);
  local.dispose();
});
after(async () => {
  await client?.terminate();
  await hub?.close();
});

test('worker: load by hub id with forwarded progress, classify, forward, dispose', { skip }, async () => {
  const events = [];
  const model = await client.load('shared/bert-mini-sst2', { host: hub.url, threads: 2, progress_callback: (e) => events.push(e) });
  assert.equal(model.runtime.variant, 'threads');
  assert.equal(model.runtime.threads, 2);
  // every method the client forwards by name is a BertologyModel method (none answers "no method")
  const forwarded = Object.getOwnPropertyNames(model).filter((n) => typeof (/** @type {any} */ (model))[n] === 'function');
  assert.ok(forwarded.includes('classify') && forwarded.includes('ensureWeights'), forwarded.join());
  for (const name of forwarded) assert.equal(typeof (/** @type {any} */ (BertologyModel.prototype))[name], 'function', `RemoteModel.${name}`);
  assert.equal(await model.tokenToId('[CLS]'), 101);
  assert.equal(await model.idToToken(101), '[CLS]');
  assert.equal(model.info.head, 'sequence_classification');
  assert.ok(events.some((e) => e.status === 'progress' && e.file === 'model-00001-of-00002.safetensors' && e.progress === 100));
  assert.equal(events.at(-1).status, 'ready');
  assert.deepEqual(await model.classify(TEXTS), expected);
  const out = await model.forward(TEXTS);
  assert.deepEqual(out.logits.dims, [2, 2]);
  assert.ok(out.logits.data instanceof Float32Array);
  assert.deepEqual(await model.invoke('tokenize', 'hello').then((/** @type {any} */ e) => Array.from(e.ids)), [101, 7592, 102]);
  assert.equal(await model.dispose(), true);
  await assert.rejects(model.classify('x'), (e) => e instanceof BertologyError && e.code === 'DISPOSED');
});

test('worker: errors come back as BertologyErrors with code, url and status', { skip }, async () => {
  const base = `${hub.url}shared/missing/resolve/main/`;
  const err = await client.load(base).then(() => null, (e) => e);
  assert.ok(err instanceof BertologyError);
  assert.equal(err.code, 'FILE_NOT_FOUND');
  assert.equal(err.status, 404);
  assert.equal(err.url, `${base}config.json`);
  await assert.rejects(client.load(/** @type {any} */ (42)), (e) => e instanceof BertologyError && e.code === 'INVALID_ARGUMENT');
});

test('worker: two models at once, with in-memory bytes and a URL', { skip }, async () => {
  const { readModelFiles } = await import('./helpers/shared.js');
  const files = readModelFiles(sharedPath('models', 'bert-mini-sst2'));
  const [a, b] = await Promise.all([
    client.load(files, { threads: 1 }),
    client.load(`${hub.url}shared/bert-mini-sst2/resolve/main/`, { threads: 2 }),
  ]);
  assert.equal(a.runtime.variant, 'single');
  assert.equal(b.runtime.variant, 'threads');
  const [ra, rb] = await Promise.all([a.classify(TEXTS), b.classify(TEXTS)]);
  assert.deepEqual(ra, expected);
  assert.deepEqual(rb, expected);
  await Promise.all([a.dispose(), b.dispose()]);
});

const HAVE_PIPELINE = existsSync(new URL('../../js/pipeline.js', import.meta.url));
test('worker: pipeline calls are forwarded', { skip: skip || (!HAVE_PIPELINE && 'js/pipeline.js does not exist yet') }, async () => {
  const model = await client.load(sharedPath('models', 'bert-mini-sst2'), { threads: 2 });
  const classifier = await client.pipeline('sentiment-analysis', model);
  const got = /** @type {any} */ (await classifier(TEXTS[0]));
  const top = Array.isArray(got) ? got.flat()[0] : got;
  assert.equal(top.label, expected[0][0].label);
  assert.ok(Math.abs(top.score - expected[0][0].score) < 1e-6);
  await classifier.dispose();
  await model.dispose();
});

test('worker client: a worker that never announces itself fails with WORKER after the timeout', async () => {
  // a worker that is not bertology/worker: it loads, then never answers
  const silent = new Worker('require("node:worker_threads").parentPort.on("message", () => {});', { eval: true });
  const c = createWorkerClient(silent, { timeout: 300 });
  const started = Date.now();
  await assert.rejects(c.load('whatever/model'), (e) => e instanceof BertologyError && e.code === 'WORKER' &&
    /did not start: no answer within 300 ms/.test(e.message));
  assert.ok(Date.now() - started >= 250);
  await c.terminate();
});

test('worker client: a worker script that throws while starting fails with WORKER', async () => {
  const broken = new Worker('throw new Error("broken at startup")', { eval: true });
  const c = createWorkerClient(broken, { timeout: 60_000 });
  await assert.rejects(c.load('whatever/model'), (e) => e instanceof BertologyError && e.code === 'WORKER' &&
    /did not start: broken at startup/.test(e.message));
  await c.terminate();
});

test('worker client: the worker entry announces itself; a client with a short timeout still works', { skip }, async () => {
  const c = createWorkerClient(new Worker(WORKER_URL), { timeout: 60_000 });
  const runtime = await c.runtime({ threads: 1 });
  assert.deepEqual([runtime.variant, runtime.threads], ['single', 1]);
  await c.terminate();
});
