// Progressive weights, the engine side (js/progressive.js, js/model.js): a model whose weights entry
// carries a `deferred` word-embedding table (the contract in js/progressive.js, served here by a fake
// entry over the real file bytes whose availability the test controls) gives its first result while
// almost every row is still pending, and results bitwise equal to a normal load of the same files —
// bert-mini-sst2's fp16 shards as published, loaded fp32 and q8, and its q8 conversion (convertModel).
// Oracle: the normal (non-progressive) load, itself checked against Hugging Face in parity-bert-mini and
// quantized tests. Also: concurrent calls, a failing ensure (typed rejection, present rows still work),
// a failing complete (no unhandled rejection), explain/train/fill-mask waiting for complete, dispose.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { BertologyModel, pipeline, convertModel, Trainer } from '../../js/index.js';
import { loadFromFiles } from '../../js/model.js';
import { BertologyError } from '../../js/errors.js';
import { SKIP_REASON, readModelFiles, sharedPath } from './helpers/shared.js';

const skip = SKIP_REASON;
const SST2 = sharedPath('models', 'bert-mini-sst2');
const MLM = sharedPath('models', 'bert-mini-mlm');
const TEXTS = ['a gripping, funny and deeply moving film', 'the plot is a mess and the acting is worse',
  'an utterly forgettable sequel', 'it is a charming, clever little movie'];

const DTYPE_BYTES = { F32: 4, F16: 2, BF16: 2, I8: 1 };

/** Where the word-embedding table of `files` lies: {file, name, begin, end, rowBytes}. @param {Map<string, Uint8Array>} files */
function findTable(files) {
  for (const [file, bytes] of files) {
    if (!file.endsWith('.safetensors')) continue;
    const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    for (const [name, t] of Object.entries(header)) {
      if (!name.endsWith('word_embeddings.weight')) continue;
      const base = 8 + headerLength;
      return { file, name, begin: base + t.data_offsets[0], end: base + t.data_offsets[1],
        rowBytes: t.shape[1] * DTYPE_BYTES[/** @type {keyof typeof DTYPE_BYTES} */ (t.dtype)], rows: t.shape[0] };
    }
  }
  throw new Error('no word-embedding table');
}

/**
 * Opened model files whose weights entry defers the word-embedding table. Rows become readable when
 * `ensure` resolves (mode 'auto': after a macrotask; 'manual': when the test calls release(); 'fail':
 * rejects NETWORK) or when the test calls finish() (complete resolves) / breaks it (complete rejects).
 * @param {Map<string, Uint8Array>} bytes
 */
function progressiveFiles(bytes, { mode = 'auto' } = {}) {
  const table = findTable(bytes);
  const available = new Uint8Array(table.rows);
  const state = { mode, ensureCalls: /** @type {Array<Array<[number, number]>>} */ ([]), bytesRequested: 0, closed: false,
    reads: 0, manual: /** @type {Array<() => void>} */ ([]) };
  const rowsOf = (/** @type {number} */ b, /** @type {number} */ e) =>
    [Math.floor((Math.max(b, table.begin) - table.begin) / table.rowBytes), Math.ceil((Math.min(e, table.end) - table.begin) / table.rowBytes)];
  const has = (/** @type {number} */ b, /** @type {number} */ e) => {
    if (e <= table.begin || b >= table.end) return true;
    const [r0, r1] = rowsOf(b, e);
    for (let r = r0; r < r1; r++) if (!available[r]) return false;
    return true;
  };
  const makeAvailable = (/** @type {Array<[number, number]>} */ ranges) => {
    for (const [b, e] of ranges) {
      const [r0, r1] = rowsOf(b, e);
      available.fill(1, r0, r1);
    }
  };
  /** @type {(v?: any) => void} */ let resolveComplete = () => {};
  /** @type {(e: any) => void} */ let rejectComplete = () => {};
  const complete = new Promise((resolve, reject) => { resolveComplete = resolve; rejectComplete = reject; });
  complete.catch(() => {}); // as the source does: never an unhandled rejection
  const deferred = {
    name: table.name, begin: table.begin, end: table.end, rowBytes: table.rowBytes,
    has,
    ensure: (/** @type {Array<[number, number]>} */ ranges) => {
      state.ensureCalls.push(ranges);
      for (const [b, e] of ranges) {
        assert.ok(b >= table.begin && e <= table.end && b < e, `range [${b}, ${e}) inside the table`);
        state.bytesRequested += e - b;
      }
      if (state.mode === 'fail') {
        return Promise.reject(new BertologyError('http://fake/model-00001-of-00002.safetensors: connection reset', { code: 'NETWORK' }));
      }
      if (state.mode === 'manual') {
        return new Promise((resolve) => state.manual.push(() => { makeAvailable(ranges); resolve(undefined); }));
      }
      return new Promise((resolve) => setTimeout(() => { makeAvailable(ranges); resolve(undefined); }, 1));
    },
    complete,
  };
  /** @type {Map<string, any>} */
  const entries = new Map();
  for (const [file, data] of bytes) {
    /** @type {any} */
    const entry = {
      size: data.byteLength,
      read(/** @type {number} */ offset, /** @type {number} */ length, /** @type {Uint8Array} */ view) {
        if (offset < 0 || offset + length > data.byteLength) return -1;
        if (file === table.file && !has(offset, offset + length)) return -1;
        if (file === table.file) state.reads++;
        view.set(data.subarray(offset, offset + length));
        return length;
      },
    };
    if (file === table.file) entry.deferred = deferred;
    entries.set(file, entry);
  }
  const files = { label: 'fake progressive source', name: 'fake', files: entries, close() { state.closed = true; } };
  return {
    files, table, state, available,
    release() { for (const f of state.manual.splice(0)) f(); },
    finish() { available.fill(1); resolveComplete(undefined); },
    break(/** @type {unknown} */ error) { rejectComplete(error); },
  };
}

/** @param {string} dir */
const filesOf = (dir) => new Map(Object.entries(readModelFiles(dir)));

/** Logits bytes of model.forward on each text (after its rows are present). @param {any} model */
async function logitsOf(model, texts = TEXTS) {
  const out = [];
  for (const text of texts) {
    await model.ensureWeights(model.tokenize(text).ids);
    out.push(Buffer.from(model.forward(text, { output_last_hidden_state: false }).logits.data.buffer).toString('hex'));
  }
  return out;
}

/** Unique token ids of the texts, and the pad token (batches are padded). @param {any} model @param {string[]} texts */
function idsOf(model, texts) {
  const ids = new Set([model.info.pad_token_id]);
  for (const t of texts) for (const id of model.tokenize(t, null, { truncation: true }).ids) ids.add(id);
  return ids;
}

const unhandled = /** @type {unknown[]} */ ([]);
process.on('unhandledRejection', (e) => { unhandled.push(e); });

for (const [label, dtype, convert] of /** @type {const} */ ([['fp16 shards, fp32', undefined, false], ['fp16 shards, q8', 'q8', false],
  ['q8 conversion', undefined, true]])) {
  test(`bert-mini-sst2 ${label}: first result while the table is pending, bitwise equal to a normal load`, { skip }, async () => {
    const bytes = convert ? /** @type {Map<string, Uint8Array>} */ ((await convertModel(SST2, { dtype: 'q8' })).files) : filesOf(SST2);
    const normal = await BertologyModel.load(Object.fromEntries(bytes), dtype ? { dtype } : {});
    const expected = await (await pipeline('sentiment-analysis', normal))(TEXTS);
    const expectedLogits = await logitsOf(normal);

    const fake = progressiveFiles(bytes);
    const model = await loadFromFiles(/** @type {any} */ (fake.files), dtype ? { dtype } : {});
    assert.equal(model.info.dtype, normal.info.dtype);
    assert.equal(model.weightsPending, fake.table.rows, 'every row pending at load');
    assert.equal(fake.state.closed, false, 'the files stay open while rows are pending');
    const classifier = await pipeline('sentiment-analysis', model);
    const first = await classifier(TEXTS[0]);
    const needed = idsOf(model, [TEXTS[0]]).size;
    assert.deepEqual(first, (await (await pipeline('sentiment-analysis', normal))(TEXTS[0])));
    assert.ok(model.weightsPending >= fake.table.rows - needed, `${model.weightsPending} rows pending after the first result`);
    assert.ok(model.weightsPending > 0.99 * fake.table.rows);
    console.log(`  ${label}: first result needed ${needed} of ${fake.table.rows} rows, ${fake.state.bytesRequested} table bytes ` +
      `(${(fake.table.end - fake.table.begin)} in all); ${fake.state.ensureCalls.length} ensure call(s)`);
    assert.deepEqual(await classifier(TEXTS), expected);
    assert.deepEqual(await logitsOf(model), expectedLogits);
    assert.ok(model.weightsPending > 0);

    fake.finish();
    await model.weightsComplete;
    assert.equal(model.weightsPending, 0);
    assert.equal(model.raw.pendingWordEmbeddings(), 0);
    assert.equal(fake.state.closed, true, 'the files are closed once the table is complete');
    assert.deepEqual(await classifier(TEXTS), expected);
    assert.deepEqual(await logitsOf(model), expectedLogits);
    model.dispose();
    normal.dispose();
  });
}

test('a synchronous forward on a pending row is NOT_READY; arrived rows are filled without waiting', { skip }, async () => {
  const fake = progressiveFiles(filesOf(SST2), { mode: 'manual' });
  const model = await loadFromFiles(/** @type {any} */ (fake.files));
  const normal = await BertologyModel.load(SST2);
  const ids = model.tokenize(TEXTS[1]).ids;
  assert.throws(() => model.forward(TEXTS[1]), (e) => e instanceof BertologyError && e.code === 'NOT_READY' &&
    /row \d+ of the word embeddings .* has not been downloaded yet/.test(e.message) && e.tensor !== undefined);
  // Bytes that arrived (the stream) are used by the synchronous call itself.
  for (const id of ids) fake.available[id] = 1;
  const out = model.forward(TEXTS[1], { output_last_hidden_state: false });
  assert.deepEqual(out.logits.data, normal.forward(TEXTS[1], { output_last_hidden_state: false }).logits.data);
  assert.equal(fake.state.ensureCalls.length, 0);
  model.dispose();
  normal.dispose();
});

test('concurrent calls: one request per row, no row filled twice, results equal', { skip }, async () => {
  const bytes = filesOf(SST2);
  const normal = await BertologyModel.load(Object.fromEntries(bytes), { dtype: 'q8' });
  const expected = await Promise.all(TEXTS.map(async (t) => (await pipeline('sentiment-analysis', normal))(t)));
  const fake = progressiveFiles(bytes, { mode: 'manual' });
  const model = await loadFromFiles(/** @type {any} */ (fake.files), { dtype: 'q8' });
  const handle = /** @type {any} */ (model.raw);
  const fill = handle.fillWordEmbeddings.bind(handle);
  /** @type {number[]} */
  const filled = [];
  handle.fillWordEmbeddings = (/** @type {number} */ first, /** @type {number} */ count) => {
    const r = fill(first, count);
    if (r === null) for (let i = first; i < first + count; i++) filled.push(i);
    return r;
  };
  const classifier = await pipeline('sentiment-analysis', model);
  // The same texts twice over, all at once: the second wave waits on the first wave's requests.
  const calls = [...TEXTS, ...TEXTS].map((t) => classifier(t));
  await new Promise((r) => setTimeout(r, 5));
  const requested = fake.state.ensureCalls.flat().map(([b, e]) => [(b - fake.table.begin) / fake.table.rowBytes, (e - fake.table.begin) / fake.table.rowBytes]);
  const rowsRequested = requested.flatMap(([a, b]) => Array.from({ length: b - a }, (_, i) => a + i));
  assert.equal(new Set(rowsRequested).size, rowsRequested.length, 'no row requested twice');
  assert.equal(new Set(rowsRequested).size, idsOf(model, TEXTS).size);
  fake.release();
  const results = await Promise.all(calls);
  assert.deepEqual(results, [...expected, ...expected]);
  assert.equal(new Set(filled).size, filled.length, 'no row filled twice');
  model.dispose();
  normal.dispose();
});

test('a failing ensure rejects with the source\'s typed error; present rows keep working', { skip }, async () => {
  const fake = progressiveFiles(filesOf(SST2));
  const model = await loadFromFiles(/** @type {any} */ (fake.files));
  const classifier = await pipeline('sentiment-analysis', model);
  const before = await classifier(TEXTS[0]);
  const pending = model.weightsPending;
  fake.state.mode = 'fail';
  await assert.rejects(classifier(TEXTS[1]), (e) => e instanceof BertologyError && e.code === 'NETWORK');
  assert.equal(model.weightsPending, pending, 'no row marked present');
  assert.deepEqual(await classifier(TEXTS[0]), before, 'rows already present still work');
  fake.state.mode = 'auto';
  await classifier(TEXTS[1]);
  model.dispose();
});

test('a failing complete: no unhandled rejection; weightsComplete and whole-table calls reject; rows on demand still work', { skip }, async () => {
  const fake = progressiveFiles(filesOf(SST2));
  const model = await loadFromFiles(/** @type {any} */ (fake.files));
  const classifier = await pipeline('sentiment-analysis', model);
  const network = new BertologyError('http://fake/model-00001-of-00002.safetensors: the stream broke', { code: 'NETWORK' });
  fake.break(network);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(unhandled, []);
  await assert.rejects(model.weightsComplete, (e) => e === network);
  await assert.rejects(classifier.explain(TEXTS[0], { method: 'occlusion' }), (e) => e === network);
  assert.equal(fake.state.closed, true, 'the files are released when the table failed');
  // Rows still come on demand through ensure (Range requests).
  assert.equal((await classifier(TEXTS[2])).length, 1);
  model.dispose();
});

test('explain, Trainer.create and a tied fill-mask head wait for complete', { skip }, async () => {
  const bytes = filesOf(SST2);
  const normal = await BertologyModel.load(Object.fromEntries(bytes));
  const expected = await (await pipeline('sentiment-analysis', normal)).explain(TEXTS[0], { method: 'occlusion' });
  const fake = progressiveFiles(bytes);
  const model = await loadFromFiles(/** @type {any} */ (fake.files), {}, SST2);
  const classifier = await pipeline('sentiment-analysis', model);
  await classifier(TEXTS[0]);
  let explained = false;
  const explanation = classifier.explain(TEXTS[0], { method: 'occlusion' }).then((e) => { explained = true; return e; });
  let created = false;
  const trainer = Trainer.create(model, { labels: ['negative', 'positive'] }).then((t) => { created = true; return t; });
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(explained, false, 'explain waits for the whole table');
  assert.equal(created, false, 'Trainer.create waits for the whole table');
  // The engine refuses too (the JS wait is not the only guard).
  const explainer = new model.runtime.module.Explainer(model.raw);
  const refused = explainer.explain(new Int32Array([101, 102]), null, new Int32Array([0, 0]), '{}');
  explainer.delete();
  assert.equal(refused.code, 'NOT_READY');
  fake.finish();
  assert.deepEqual(await explanation, expected);
  const t = /** @type {any} */ (await trainer);
  assert.ok(created);
  t.dispose?.();
  model.dispose();
  normal.dispose();

  // bert-mini-mlm: its decoder is tied to the table, so the engine refuses the deferral and load() waits
  // for the whole file, then loads normally.
  const mlmBytes = filesOf(MLM);
  const mlmNormal = await BertologyModel.load(Object.fromEntries(mlmBytes));
  const mlmFake = progressiveFiles(mlmBytes);
  let loaded = false;
  const loading = loadFromFiles(/** @type {any} */ (mlmFake.files)).then((m) => { loaded = true; return m; });
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(loaded, false, 'a tied masked-LM head loads once the table is complete');
  mlmFake.finish();
  const mlm = await loading;
  assert.equal(mlm.weightsPending, 0);
  const text = 'the capital of france is [MASK].';
  assert.deepEqual(await (await pipeline('fill-mask', mlm))(text), await (await pipeline('fill-mask', mlmNormal))(text));
  mlm.dispose();
  mlmNormal.dispose();
});

test('dispose() while rows are being fetched and filled is safe', { skip }, async () => {
  const fake = progressiveFiles(filesOf(SST2), { mode: 'manual' });
  const model = await loadFromFiles(/** @type {any} */ (fake.files));
  const classifier = await pipeline('sentiment-analysis', model);
  const call = classifier(TEXTS[3]);
  await new Promise((r) => setTimeout(r, 5));
  model.dispose();
  fake.release();
  await assert.rejects(call, (e) => e instanceof BertologyError && e.code === 'DISPOSED');
  fake.finish();
  await assert.rejects(model.weightsComplete, (e) => e instanceof BertologyError && e.code === 'DISPOSED');
  assert.equal(fake.state.closed, true);
  assert.deepEqual(unhandled, []);
});

test('progressive: false and a bad value are checked', { skip }, async () => {
  await assert.rejects(BertologyModel.load(SST2, { progressive: 'yes' }), /progressive must be a boolean/);
  // progressive: false ignores a deferred table: the load reads the whole file.
  const fake = progressiveFiles(filesOf(SST2));
  fake.available.fill(1);
  const model = await loadFromFiles(/** @type {any} */ (fake.files), { progressive: false });
  assert.equal(model.weightsPending, 0);
  assert.equal(fake.state.closed, true);
  model.dispose();
});

test('bertology/worker: RemoteModel.weightsComplete and ensureWeights cross the worker', { skip }, async () => {
  const { Worker } = await import('node:worker_threads');
  const { createWorkerClient } = await import('../../js/index.js');
  const client = createWorkerClient(new Worker(new URL('../../js/worker.js', import.meta.url)));
  try {
    const remote = await client.load(SST2);
    assert.equal(await remote.weightsComplete, undefined, 'a model loaded whole is complete at once');
    await remote.ensureWeights([101, 2023, 102]);
    const out = await remote.forward('a charming film', { output_last_hidden_state: false });
    assert.equal(out.logits.dims.join(), '1,2');
  } finally {
    await client.terminate();
  }
});
