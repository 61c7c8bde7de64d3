// What a remote load does before the weights arrive (issue 14, time to first result):
// - model.safetensors is asked for at once, beside model.safetensors.index.json, without waiting for
//   the index's answer; a sharded checkpoint's index cancels it (its shards are used, nothing is
//   downloaded twice, no progress events for the unused file);
// - the tokenizer is built from config.json and the tokenizer files while the weights download, and
//   the engine takes it: the same results as a local load (the oracle: the shared checkpoint loaded
//   from its directory, which tests/js/parity-bert-mini.test.mjs checks against Hugging Face), and a
//   broken tokenizer.json gives the same error as loaded locally.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BertologyModel, getRuntime } from '../../js/index.js';
import { startDevServer } from '../../web/dev-server.mjs';
import { SKIP_REASON, sharedPath } from './helpers/shared.js';
import { mergeShards } from './helpers/merge-shards.js';

const skip = SKIP_REASON;
const TEXT = 'a great , moving film .';
const SOURCE = () => sharedPath('models', 'bert-mini-sst2');
const SHARDS = ['model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];

/** @type {string} */
let root;
/** @type {Awaited<ReturnType<typeof startDevServer>>} */
let server;
/** @type {{logits: number[], ids: number[][], classified: any}} */
let oracle;

before(async () => {
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'bertology-early-'));
  mergeShards(SOURCE(), join(root, 'single'));
  // both forms: the index wins (as before), the single file's download is cancelled
  mergeShards(SOURCE(), join(root, 'both'));
  for (const f of SHARDS) copyFileSync(join(SOURCE(), f), join(root, 'both', f));
  mergeShards(SOURCE(), join(root, 'bad-tokenizer'));
  writeFileSync(join(root, 'bad-tokenizer', 'tokenizer.json'),
    JSON.stringify({ model: { type: 'WordPiece', unk_token: '[UNK]', vocab: { '[UNK]': 0, a: 1.5 } } }));
  const model = await BertologyModel.load(SOURCE(), { threads: 1 });
  const ids = [Array.from(model.tokenize(TEXT).ids)];
  oracle = { ids, logits: Array.from(/** @type {any} */ (model.forward({ input_ids: ids })).logits.data), classified: model.classify(TEXT) };
  model.dispose();
  server = await startDevServer({ roots: { '/models/': root }, coi: false });
});

after(async () => {
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

/**
 * A fetch that records each request and can hold a response back.
 * @param {(file: string) => Promise<void> | void} [hold]
 */
function recordingFetch(hold) {
  /** @type {{file: string, order: number, aborted?: boolean, status?: number}[]} */
  const calls = [];
  /** @type {typeof fetch} */
  const fetchImpl = async (input, init) => {
    const file = new URL(String(input)).pathname.split('/').pop() ?? '';
    const call = { file, order: calls.length, /** @type {boolean | undefined} */ aborted: undefined, /** @type {number | undefined} */ status: undefined };
    calls.push(call);
    init?.signal?.addEventListener('abort', () => { call.aborted = true; }, { once: true });
    await hold?.(file);
    const res = await fetch(input, init);
    call.status = res.status;
    return res;
  };
  return { calls, fetchImpl };
}

/** @param {BertologyModel} model */
function assertOracle(model) {
  const logits = Array.from(/** @type {any} */ (model.forward({ input_ids: oracle.ids })).logits.data);
  assert.deepEqual(logits, oracle.logits, 'the same weights as the shared checkpoint');
  assert.deepEqual(model.classify(TEXT), oracle.classified, 'the same tokenizer as loaded locally');
}

test('a single-file checkpoint: model.safetensors is asked for before the index has answered', { skip }, async () => {
  /** @type {string[]} */
  let askedBeforeIndex = [];
  const { calls, fetchImpl } = recordingFetch(async (file) => {
    if (file !== 'model.safetensors.index.json') return;
    await new Promise((resolve) => { setImmediate(resolve); }); // the requests made meanwhile: before its answer
    askedBeforeIndex = calls.map((c) => c.file);
  });
  const model = await BertologyModel.load(`${server.url}models/single/`, { threads: 1, fetch: fetchImpl });
  try {
    assertOracle(model);
    assert.ok(askedBeforeIndex.includes('model.safetensors'), `asked before the index: ${askedBeforeIndex.join(' ')}`);
    const files = calls.map((c) => c.file).sort();
    assert.deepEqual(files, ['config.json', 'model.safetensors', 'model.safetensors.index.json', 'tokenizer.json',
      'tokenizer_config.json'], 'each file asked for once');
  } finally {
    model.dispose();
  }
});

test('index and model.safetensors both there: the shards are used, the single file is cancelled', { skip }, async () => {
  /** @type {Set<string>} */
  const done = new Set();
  // model.safetensors's response waits for the index's: its request is then cancelled
  /** @type {() => void} */
  let indexAnswered = () => {};
  const answered = new Promise((resolve) => { indexAnswered = () => resolve(undefined); });
  const { calls, fetchImpl } = recordingFetch(async (file) => {
    if (file === 'model.safetensors') await answered;
  });
  const wrapped = /** @type {typeof fetch} */ (async (input, init) => {
    const res = await fetchImpl(input, init);
    if (String(input).endsWith('model.safetensors.index.json')) setImmediate(indexAnswered);
    return res;
  });
  const model = await BertologyModel.load(`${server.url}models/both/`, {
    threads: 1, fetch: wrapped, progress_callback: (e) => { if (e.status === 'done') done.add(/** @type {any} */ (e).file); },
  });
  try {
    assertOracle(model);
    const single = calls.filter((c) => c.file === 'model.safetensors');
    assert.equal(single.length, 1, 'asked for once');
    assert.equal(single[0].aborted, true, 'its request was cancelled');
    assert.ok(!done.has('model.safetensors'), 'no events for the unused file');
    assert.deepEqual([...done].sort(), ['config.json', ...SHARDS, 'tokenizer.json', 'tokenizer_config.json'].sort());
    for (const f of SHARDS) assert.equal(calls.filter((c) => c.file === f).length, 1, `${f} once`);
  } finally {
    model.dispose();
  }
});

test('the tokenizer is built while the weights download, and the engine takes it', { skip }, async () => {
  const runtime = await getRuntime({ threads: 1 });
  const proto = runtime.module.FileStore.prototype;
  const original = proto.prepareTokenizer;
  /** @type {string[]} */
  const order = [];
  /** @type {() => void} */
  let built = () => {};
  const tokenizerBuilt = new Promise((resolve) => { built = () => resolve(undefined); });
  proto.prepareTokenizer = function prepareTokenizer() {
    order.push('tokenizer built');
    const r = original.call(this);
    built();
    return r;
  };
  try {
    const { fetchImpl } = recordingFetch(async (file) => {
      if (file !== 'model.safetensors') return;
      // the weights wait for the tokenizer (bounded: without the head start the test fails, never hangs)
      await Promise.race([tokenizerBuilt, new Promise((resolve) => { setTimeout(resolve, 10_000).unref(); })]);
      order.push('weights answered');
    });
    const model = await BertologyModel.load(`${server.url}models/single/`, { threads: 1, fetch: fetchImpl });
    try {
      assertOracle(model);
      assert.equal(model.info.has_tokenizer, true);
      assert.deepEqual(order, ['tokenizer built', 'weights answered']);
    } finally {
      model.dispose();
    }
  } finally {
    proto.prepareTokenizer = original;
  }
});

test('a broken tokenizer.json built early: the same error as loaded locally', { skip }, async () => {
  /** @param {Promise<unknown>} p */
  const failure = async (p) => {
    try {
      await p;
    } catch (e) {
      const err = /** @type {any} */ (e);
      return { code: err.code, message: String(err.message).replace(/^loadModel\([^)]*\): /, '') };
    }
    assert.fail('loaded');
  };
  const local = await failure(BertologyModel.load(join(root, 'bad-tokenizer'), { threads: 1 }));
  const remote = await failure(BertologyModel.load(`${server.url}models/bad-tokenizer/`, { threads: 1 }));
  assert.equal(local.code, 'BAD_CHECKPOINT');
  assert.match(local.message, /model\.vocab\.a: expected an integer id/);
  assert.deepEqual(remote, local);
});
