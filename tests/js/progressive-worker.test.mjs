// Progressive weights through `bertology/worker` (js/worker.js): a RemoteModel's forward /
// forwardEncodings / classify — synchronous calls in the worker — wait for the word-embedding rows of
// their own token ids, not for the whole table. Deterministic, not timed: the loopback server
// (tests/js/helpers/range-server.js) holds the table-only shard's body back until the test releases it,
// so the calls can only answer by fetching their rows with Range requests. Oracle: the same files loaded
// from their directory in this thread (a full load, tied to Hugging Face by tests/js/parity-bert-mini):
// results bitwise equal.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { BertologyModel, createWorkerClient } from '../../js/index.js';
import { startRangeServer } from './helpers/range-server.js';
import { SKIP_REASON, sharedPath } from './helpers/shared.js';

const skip = SKIP_REASON;
const NAME = 'bert-mini-sst2';
// the shard that holds the table alone: its header comes by a Range request for the first 64 KiB, its body
// (bytes=65536-) after the other files; the server stops that body 4 KiB in
const TABLE_SHARD = 'model-00001-of-00002.safetensors';
const HOLD_AT = 65536 + 4096;
const TEXTS = ['a great , moving film .', 'the plot is thin and the jokes fall flat .'];
const PAIRS = ['is it good ?', 'was it worth it ?'];
// if the calls waited for the table they would wait for the guard: it releases the table and marks
// the run as failed (a bound against a hang, not a measurement)
const GUARD_MS = 30_000;

/** @type {string} */
let root;
/** @type {Awaited<ReturnType<typeof startRangeServer>>} */
let server;

before(async () => {
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'bertology-progressive-worker-'));
  mkdirSync(join(root, NAME));
  for (const f of ['config.json', 'model.safetensors.index.json', TABLE_SHARD, 'model-00002-of-00002.safetensors',
    'tokenizer.json', 'tokenizer_config.json']) symlinkSync(sharedPath('models', NAME, f), join(root, NAME, f));
  server = await startRangeServer({ '/m/': root });
});

after(async () => {
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Float32 outputs as plain arrays (bitwise: -0 and NaN compare as themselves under deepEqual). @param {any} out */
const logitsOf = (out) => ({ dims: Array.from(out.logits.dims), data: Array.from(out.logits.data) });

test('worker: forward, forwardEncodings and classify wait for their rows, not the table; bitwise a full load', { skip, timeout: 120_000 }, async () => {
  const local = await BertologyModel.load(join(root, NAME), { threads: 1 });
  const ids = { input_ids: [Array.from(local.tokenize(TEXTS[0]).ids)] };
  const want = {
    classify: local.classify(TEXTS),
    classifyPairs: local.classify(TEXTS, { pairs: PAIRS }),
    forward: logitsOf(local.forward(TEXTS)),
    forwardPairs: logitsOf(local.forward(TEXTS, { pairs: PAIRS, max_length: 12 })),
    forwardIds: logitsOf(local.forward(ids)),
    forwardEncodings: logitsOf(local.forwardEncodings(TEXTS.map((t) => local.tokenize(t)))),
  };
  local.dispose();

  server.reset();
  const path = `/m/${NAME}/${TABLE_SHARD}`;
  const hold = server.hold(path, HOLD_AT);
  let released = false;
  const guard = setTimeout(() => { released = true; hold.release(); }, GUARD_MS);
  const client = createWorkerClient(new Worker(new URL('../../js/worker.js', import.meta.url)));
  try {
    const remote = await client.load(`${server.url}/m/${NAME}/`, { threads: 1, progressive: true });
    assert.ok(await remote.invoke('weightsPending') > 0, 'loaded before the table');
    const encodings = await Promise.all(TEXTS.map((t) => remote.tokenize(t)));
    const got = {
      classify: await remote.classify(TEXTS),
      classifyPairs: await remote.classify(TEXTS, { pairs: PAIRS }),
      forward: logitsOf(await remote.forward(TEXTS)),
      forwardPairs: logitsOf(await remote.forward(TEXTS, { pairs: PAIRS, max_length: 12 })),
      forwardIds: logitsOf(await remote.forward(ids)),
      forwardEncodings: logitsOf(await remote.forwardEncodings(encodings)),
    };
    assert.equal(released, false, 'the calls answered while the server held the table back');
    assert.ok(await remote.invoke('weightsPending') > 0, 'the table is still incomplete');
    const rows = server.log.filter((l) => l.path === path && l.range && /^bytes=\d+-\d+$/.test(l.range) && l.range !== 'bytes=0-65535');
    assert.ok(rows.length >= 1 && rows.every((l) => l.status === 206), 'rows by Range requests');
    assert.deepEqual(got, want, 'bitwise equal to a full load');

    // bad arguments are still the call's own error, at once (not after the table)
    await assert.rejects(remote.forward({ input_ids: [[1e9]] }), (e) => /** @type {any} */ (e).code === 'INVALID_ARGUMENT');
    await assert.rejects(remote.classify(TEXTS, { pairs: ['one'] }), (e) => /** @type {any} */ (e).code === 'INVALID_ARGUMENT');
    assert.equal(released, false);

    hold.release();
    await remote.weightsComplete;
    assert.equal(await remote.invoke('weightsPending'), 0);
    assert.deepEqual(logitsOf(await remote.forward(TEXTS)), want.forward, 'the same after the table arrived');
    await remote.dispose();
  } finally {
    clearTimeout(guard);
    hold.release();
    await client.terminate();
  }
});
