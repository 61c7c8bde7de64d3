// Progressive weights end to end, through the public API (issue 14, time to first result): a
// sentiment pipeline loaded from a URL gives its first result while the server still holds back the
// word-embedding table — deterministic, not timed: the loopback server (tests/js/helpers/range-server.js)
// sends the bytes before the table and then waits until the test releases it; the rows the sentence
// needs come by HTTP Range requests. Oracle: the same folder loaded from its directory (a full load,
// which tests/js/parity-bert-mini.test.mjs and convert.test.mjs tie to Hugging Face and to load-time
// q8): scores bitwise equal. fill-mask needs the whole table (its decoder is tied to it): it waits
// (its load or its first call) and then equals a full load.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BertologyModel, convertModel, pipeline } from '../../js/index.js';
import { startRangeServer } from './helpers/range-server.js';
import { SKIP_REASON, sharedPath } from './helpers/shared.js';

// the engine side of progressive loading (js/model.js: model.weightsComplete) must be there
const skip = SKIP_REASON;
const EMB = 'bert.embeddings.word_embeddings.weight';
const TEXTS = ['a great , moving film .', 'the plot is thin and the jokes fall flat .'];
const MASKED = 'the capital of france is [MASK] .';
// a guard against a hang on an engine without progressive loading (not a measurement)
const timeout = 120_000;

/** @type {string} */
let root;
/** @type {Awaited<ReturnType<typeof startRangeServer>>} */
let server;

before(async () => {
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'bertology-progressive-e2e-'));
  for (const name of ['bert-mini-sst2', 'bert-mini-mlm']) {
    mkdirSync(join(root, name));
    for (const f of ['config.json', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors',
      'tokenizer.json', 'tokenizer_config.json']) symlinkSync(sharedPath('models', name, f), join(root, name, f));
    await convertModel(sharedPath('models', name), { dtype: 'q8', outDir: join(root, `${name}-q8`), threads: 1 });
  }
  server = await startRangeServer({ '/m/': root });
});

after(async () => {
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Where the table starts in a file on disk. @param {string} path */
function tableBegin(path) {
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  return { begin: 8 + n + header[EMB].data_offsets[0], size: bytes.length };
}

/** Lets pending I/O callbacks run. */
const turns = async (n = 20) => { for (let i = 0; i < n; i++) await new Promise((ok) => setImmediate(ok)); };

for (const [folder, file] of [['bert-mini-sst2-q8', 'model.safetensors'], ['bert-mini-sst2', 'model-00001-of-00002.safetensors']]) {
  test(`sentiment from ${folder}: the first result while the server holds the table, bitwise a full load's`, { skip, timeout }, async () => {
    server.reset();
    const { begin, size } = tableBegin(join(root, folder, file));
    const path = `/m/${folder}/${file}`;
    // the q8 file streams from its start; the fp16 table-only shard's header comes by a Range request
    // for its first 64 KiB and its body (bytes=65536-) once the other files are in
    const holdAt = file === 'model.safetensors' ? begin : 65536 + 4096;
    const hold = server.hold(path, holdAt);
    const local = await pipeline('sentiment-analysis', join(root, folder), { threads: 1 });
    const want = await local(TEXTS, { top_k: null });
    await local.dispose();

    const classifier = await pipeline('sentiment-analysis', `${server.url}/m/${folder}/`, { threads: 1 });
    const got = await classifier(TEXTS, { top_k: null });
    const answers = server.log.filter((l) => l.path === path);
    const rows = answers.filter((l) => l.range && /^bytes=\d+-\d+$/.test(l.range) && l.range !== 'bytes=0-65535');
    assert.ok(rows.length >= 1 && rows.every((l) => l.status === 206), 'rows by Range requests');
    const rowBytes = rows.reduce((n, l) => n + l.sent, 0);
    assert.ok(rowBytes < (size - begin) / 10, `a few rows (${rowBytes} bytes), not the table (${size - begin})`);
    const sent = answers.reduce((n, l) => n + l.sent, 0);
    assert.ok(sent <= holdAt + 65536 + rowBytes, `the server held the rest of the table back (${sent} of ${size} bytes sent)`);
    assert.deepEqual(got, want, 'scores bitwise equal to a full load');
    hold.release();
    // after the table arrived: still the same
    await new Promise((ok) => setTimeout(ok, 0));
    assert.deepEqual(await classifier(TEXTS, { top_k: null }), want);
    await classifier.dispose();
  });
}

test('fill-mask waits for the whole table (its decoder is tied to it), then equals a full load', { skip, timeout }, async () => {
  server.reset();
  const folder = 'bert-mini-mlm-q8';
  const { begin } = tableBegin(join(root, folder, 'model.safetensors'));
  const hold = server.hold(`/m/${folder}/model.safetensors`, begin);
  const local = await pipeline('fill-mask', join(root, folder), { threads: 1 });
  const want = await local(MASKED);
  await local.dispose();
  // the load or the call waits (a tied decoder needs every row)
  let done = false;
  /** @type {any} */
  let unmasker = null;
  const pending = pipeline('fill-mask', `${server.url}/m/${folder}/`, { threads: 1 }).then((u) => {
    unmasker = u;
    return u(MASKED);
  }).then((r) => { done = true; return r; });
  await hold.reached;
  await turns(50);
  assert.equal(done, false, 'waiting for the table');
  hold.release();
  assert.deepEqual(await pending, want);
  await unmasker?.dispose();
});

test('BertologyModel.load() waits for every byte unless progressive: true (its forward/classify are synchronous)', { skip, timeout }, async () => {
  server.reset();
  const folder = 'bert-mini-sst2-q8';
  const { begin } = tableBegin(join(root, folder, 'model.safetensors'));
  const local = await BertologyModel.load(join(root, folder), { threads: 1 });
  const want = local.classify(TEXTS);
  local.dispose();
  const url = `${server.url}/m/${folder}/`;

  let hold = server.hold(`/m/${folder}/model.safetensors`, begin);
  let loaded = false;
  const whole = BertologyModel.load(url, { threads: 1 }).then((m) => { loaded = true; return m; });
  await hold.reached;
  await turns(50);
  assert.equal(loaded, false, 'a plain load waits for the table');
  hold.release();
  const model = await whole;
  assert.equal(model.weightsPending, 0);
  assert.deepEqual(model.classify(TEXTS), want, 'synchronous classify right after load');
  model.dispose();

  server.reset();
  hold = server.hold(`/m/${folder}/model.safetensors`, begin);
  const early = await BertologyModel.load(url, { threads: 1, progressive: true });
  assert.ok(early.weightsPending > 0, 'progressive: true resolves before the table');
  assert.throws(() => early.classify(TEXTS), (e) => e instanceof Error && /** @type {any} */ (e).code === 'NOT_READY');
  hold.release();
  await early.weightsComplete;
  assert.deepEqual(early.classify(TEXTS), want);
  early.dispose();
});
