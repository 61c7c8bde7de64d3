// Bad inputs give a clear BertologyError naming what failed, and the same runtime / model keeps
// working afterwards: after every failure a normal inference must still match the reference.
// The bad files are crafted in memory from the tiny BERT classifier's real files.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BertologyError, BertologyModel } from '../../js/index.js';
import { SKIP_REASON, readModelFiles, sharedPath } from './helpers/shared.js';
import { parseSafetensors, readTensors, writeSafetensors } from './helpers/safetensors.js';
import { assertClose } from './helpers/compare.js';

const TINY = 'tiny-bert-bert-sequenceclassification';
/** @type {Record<string, Uint8Array>} */
let files;
/** @type {BertologyModel} */
let good;
/** @type {Record<string, {data: any, shape: number[]}>} */
let ref;

before(async () => {
  if (SKIP_REASON) return;
  const dir = sharedPath('models', 'tiny', TINY);
  files = {
    ...readModelFiles(dir, ['config.json', 'model.safetensors']),
    ...readModelFiles(sharedPath('tokenizers', 'bert-base-uncased'), ['tokenizer.json', 'tokenizer_config.json']),
  };
  ref = readTensors(`${dir}/reference.safetensors`);
  good = await BertologyModel.load(files, { threads: 1 });
});
after(() => good?.dispose());

/** A normal inference on the good model still reproduces the reference logits. */
function assertStillWorks() {
  const [batch, seq] = ref.input_ids.shape;
  const ids = (/** @type {string} */ k) => ({ data: ref[k].data, dims: [batch, seq] });
  const out = good.forward({ input_ids: ids('input_ids'), attention_mask: ids('attention_mask'), token_type_ids: ids('token_type_ids') });
  assertClose('logits after the failure', out.logits, ref.logits, 1e-5);
  assert.deepEqual(Array.from(good.tokenize('!').ids), [101, 999, 102]);
}

/**
 * Loading `replaced` files (over the good ones) fails with a message matching every pattern.
 * @param {Record<string, Uint8Array | string | null>} replaced null removes the file
 * @param {RegExp[]} patterns
 */
async function assertLoadFails(replaced, patterns) {
  const bad = { ...files };
  for (const [name, value] of Object.entries(replaced)) {
    if (value === null) delete bad[name];
    else bad[name] = typeof value === 'string' ? new TextEncoder().encode(value) : value;
  }
  const err = await BertologyModel.load(bad, { threads: 1 }).then(
    (m) => { m.dispose(); return null; }, (e) => e);
  assert.ok(err instanceof BertologyError, `expected a BertologyError, got ${err}`);
  for (const p of patterns) assert.match(err.message, p);
  const again = await BertologyModel.load(files, { threads: 1 });
  assert.equal(again.runtime, good.runtime, 'the failed load must not need a new runtime');
  again.dispose();
  assertStillWorks();
  return err;
}

/** @param {(tensors: import('./helpers/safetensors.js').RawTensor[]) => void} edit */
function weightsWith(edit, header = undefined) {
  const { tensors, metadata } = parseSafetensors(files['model.safetensors']);
  edit(tensors);
  return writeSafetensors(tensors, { metadata, header });
}

/** @param {(config: Record<string, any>) => void} edit */
function configWith(edit) {
  const config = JSON.parse(new TextDecoder().decode(files['config.json']));
  edit(config);
  return JSON.stringify(config);
}

const st = /model\.safetensors/;
const QUERY_W = 'bert.encoder.layer.1.attention.self.query.weight';

test('errors: truncated safetensors', { skip: SKIP_REASON }, async () => {
  const w = files['model.safetensors'];
  await assertLoadFails({ 'model.safetensors': w.subarray(0, w.length >> 1) }, [st]);
  await assertLoadFails({ 'model.safetensors': w.subarray(0, 5) }, [st]);
});

test('errors: header length beyond the file', { skip: SKIP_REASON }, async () => {
  const w = files['model.safetensors'].slice();
  new DataView(w.buffer).setBigUint64(0, BigInt(w.length + 100), true);
  await assertLoadFails({ 'model.safetensors': w }, [st, /header/i]);
});

test('errors: tensor offsets out of range', { skip: SKIP_REASON }, async () => {
  const w = weightsWith(() => {}, (h) => { h[QUERY_W].data_offsets[1] += 1 << 20; });
  await assertLoadFails({ 'model.safetensors': w }, [st, new RegExp(QUERY_W.replaceAll('.', '\\.'))]);
});

test('errors: overlapping tensors', { skip: SKIP_REASON }, async () => {
  const w = weightsWith(() => {}, (h) => {
    const key = 'bert.encoder.layer.0.attention.self.key.bias';
    h[key].data_offsets = [...h['bert.encoder.layer.0.attention.self.query.bias'].data_offsets];
  });
  await assertLoadFails({ 'model.safetensors': w }, [st, /overlap|offset/i]);
});

test('errors: dtype not supported / not matching', { skip: SKIP_REASON }, async () => {
  const w = weightsWith((ts) => { const t = ts.find((x) => x.name === QUERY_W); if (t) t.dtype = 'I32'; });
  await assertLoadFails({ 'model.safetensors': w }, [new RegExp(QUERY_W.replaceAll('.', '\\.')), /dtype|I32/i]);
});

test('errors: shape not matching the config', { skip: SKIP_REASON }, async () => {
  const name = 'bert.embeddings.word_embeddings.weight';
  const w = weightsWith((ts) => { const t = ts.find((x) => x.name === name); if (t) t.shape = [...t.shape].reverse(); });
  await assertLoadFails({ 'model.safetensors': w }, [/word_embeddings/, /shape/i]);
  await assertLoadFails({ 'config.json': configWith((c) => { c.hidden_size = 48; }) }, [/shape|hidden_size/i]);
});

test('errors: missing tensor', { skip: SKIP_REASON }, async () => {
  const w = weightsWith((ts) => { ts.splice(ts.findIndex((x) => x.name === QUERY_W), 1); });
  await assertLoadFails({ 'model.safetensors': w }, [new RegExp(QUERY_W.replaceAll('.', '\\.'))]);
});

test('errors: unknown model_type, field of the wrong type', { skip: SKIP_REASON }, async () => {
  await assertLoadFails({ 'config.json': configWith((c) => { c.model_type = 'gpt2'; }) }, [/model_type/, /gpt2/]);
  await assertLoadFails({ 'config.json': configWith((c) => { c.num_attention_heads = 'four'; }) }, [/config\.json/, /num_attention_heads/]);
  // A missing field takes Hugging Face's default (12 heads), which does not divide hidden size 32.
  await assertLoadFails({ 'config.json': configWith((c) => { delete c.num_attention_heads; }) }, [/config\.json/, /attention heads/]);
});

test('errors: invalid JSON in config.json and tokenizer.json', { skip: SKIP_REASON }, async () => {
  await assertLoadFails({ 'config.json': '{"model_type": "bert", ' }, [/config\.json/, /json/i]);
  const tok = files['tokenizer.json'];
  await assertLoadFails({ 'tokenizer.json': tok.subarray(0, tok.length >> 1) }, [/tokenizer\.json/]);
});

test('errors: missing files are named', { skip: SKIP_REASON }, async () => {
  await assertLoadFails({ 'model.safetensors': null }, [st]);
  await assertLoadFails({ 'config.json': null }, [/config\.json/]);
});

test('errors: invalid UTF-8 bytes', { skip: SKIP_REASON }, () => {
  assert.throws(() => good.tokenize(new Uint8Array([0x61, 0xff, 0x62])), (e) =>
    e instanceof BertologyError && /utf-?8/i.test(e.message));
  assertStillWorks();
  assert.deepEqual(Array.from(good.tokenize(new Uint8Array([0x21])).ids), [101, 999, 102]);
});

test('errors: empty text works ([CLS] [SEP])', { skip: SKIP_REASON }, () => {
  const enc = good.tokenize('');
  assert.deepEqual(Array.from(enc.ids), [101, 102]);
  assert.deepEqual(enc.tokens, ['[CLS]', '[SEP]']);
  const out = good.forward('');
  assert.deepEqual(out.logits?.dims, [1, 3]);
  assert.ok(Array.from(out.logits?.data ?? []).every(Number.isFinite));
});

test('errors: text longer than max positions is truncated and says so', { skip: SKIP_REASON }, () => {
  assert.equal(good.maxLength, 64);
  const text = '! '.repeat(100);
  const out = good.forward(text);
  assert.deepEqual(out.input_ids.dims, [1, 64]);
  assert.equal(out.encodings?.[0].truncated, true);
  assert.equal(out.input_ids.data[63], 102, 'the final [SEP] is kept');
  // Without truncation the engine refuses positions it has no embedding for.
  const enc = good.tokenize(text);
  assert.equal(enc.truncated, false);
  assert.throws(() => good.forward({ input_ids: [Array.from(enc.ids)] }), (e) =>
    e instanceof BertologyError && /position|max_position_embeddings|length/i.test(e.message));
  assertStillWorks();
});

test('errors: token id outside the vocabulary', { skip: SKIP_REASON }, () => {
  assert.throws(() => good.forward({ input_ids: [[101, 5000, 102]] }), (e) =>
    e instanceof BertologyError && /vocab|id/i.test(e.message));
  assertStillWorks();
});
