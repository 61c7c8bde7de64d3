// The wasm build's tokenizer against the `tokenizers` library on bert-base-uncased
// (shared/reference/tokenizer-bert-base-uncased.json): every single-text case, pairs, QA windows
// and truncation. The tokenizer rides on the tiny BERT's config and weights (in-memory source).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BertologyModel } from '../../js/index.js';
import { SKIP_REASON, readModelFiles, readSharedJson, sharedPath } from './helpers/shared.js';

/** @type {BertologyModel} */
let model;
/** @type {any} */
let ref;

before(async () => {
  if (SKIP_REASON) return;
  ref = readSharedJson('reference', 'tokenizer-bert-base-uncased.json');
  model = await BertologyModel.load({
    ...readModelFiles(sharedPath('models', 'tiny', 'tiny-bert-bertmodel'), ['config.json', 'model.safetensors']),
    ...readModelFiles(sharedPath('tokenizers', 'bert-base-uncased'), ['tokenizer.json', 'tokenizer_config.json']),
  }, { threads: 1 });
});
after(() => model?.dispose());

/** @param {number[][]} pairs */
const flat = (pairs) => pairs.flat();

/**
 * Checks that UTF-16 offsets select the same characters the code-point offsets do.
 * @param {string} text
 * @param {import('../../js/model.js').Encoding} enc
 * @param {number} seq which sequence id the text is
 */
function checkUtf16(text, enc, seq) {
  const cps = Array.from(text);
  for (let i = 0; i < enc.ids.length; i++) {
    if (enc.sequence_ids[i] !== seq) continue;
    const [s, e] = [enc.codepoint_offsets[2 * i], enc.codepoint_offsets[2 * i + 1]];
    const [us, ue] = [enc.offsets[2 * i], enc.offsets[2 * i + 1]];
    assert.equal(text.slice(us, ue), cps.slice(s, e).join(''), `token ${i} of ${JSON.stringify(text)}`);
  }
}

test('tokenizer: all single-text cases (ids, tokens, code-point offsets, type ids)', { skip: SKIP_REASON }, (t) => {
  const failures = [];
  for (const [n, c] of ref.cases.entries()) {
    const enc = model.tokenize(c.text);
    const got = { ids: Array.from(enc.ids), tokens: enc.tokens, offsets: Array.from(enc.codepoint_offsets), type_ids: Array.from(enc.type_ids) };
    const want = { ids: c.ids, tokens: c.tokens, offsets: flat(c.offsets), type_ids: c.type_ids };
    for (const key of /** @type {const} */ (['ids', 'tokens', 'offsets', 'type_ids'])) {
      try { assert.deepEqual(got[key], want[key]); } catch { failures.push(`case ${n} ${JSON.stringify(c.text).slice(0, 60)}: ${key}`); }
    }
    checkUtf16(c.text, enc, 0);
  }
  t.diagnostic(`${ref.cases.length - new Set(failures.map((f) => f.split(':')[0])).size}/${ref.cases.length} cases identical`);
  assert.deepEqual(failures, [], `${failures.length} mismatches:\n${failures.slice(0, 20).join('\n')}`);
});

test('tokenizer: UTF-16 offsets on non-BMP text', { skip: SKIP_REASON }, () => {
  const astral = ref.cases.filter((/** @type {any} */ c) => /[\u{10000}-\u{10FFFF}]/u.test(c.text));
  assert.ok(astral.length >= 1, 'the reference should contain non-BMP cases');
  // "I love it 😍🔥👍🏽": the emoji run is [10, 14) in code points, [10, 18) in UTF-16.
  const enc = model.tokenize('I love it 😍🔥👍🏽');
  assert.deepEqual(Array.from(enc.codepoint_offsets.subarray(8, 10)), [10, 14]);
  assert.deepEqual(Array.from(enc.offsets.subarray(8, 10)), [10, 18]);
  // In a pair, offsets of the second text index the second text.
  const pair = model.tokenize('😀 a', '😀 b');
  checkUtf16('😀 a', pair, 0);
  checkUtf16('😀 b', pair, 1);
  assert.deepEqual(Array.from(pair.offsets.slice(-4)), [3, 4, 0, 0]);
});

test('tokenizer: sentence pairs (ids, type ids, offsets)', { skip: SKIP_REASON }, () => {
  for (const [n, p] of ref.pairs.entries()) {
    const enc = model.tokenize(p.a, p.b);
    assert.deepEqual(Array.from(enc.ids), p.ids, `pair ${n}: ids`);
    assert.deepEqual(Array.from(enc.type_ids), p.type_ids, `pair ${n}: type ids`);
    assert.deepEqual(Array.from(enc.codepoint_offsets), flat(p.offsets), `pair ${n}: offsets`);
    checkUtf16(p.a, enc, 0);
    checkUtf16(p.b, enc, 1);
  }
});

test('tokenizer: question/context windows (max_length 64, stride 16)', { skip: SKIP_REASON }, (t) => {
  let windows = 0;
  for (const [n, w] of ref.windows.entries()) {
    const encs = model.tokenizeWindows(w.question, w.context, { max_length: w.max_length, stride: w.stride });
    assert.equal(encs.length, w.input_ids.length, `windows ${n}: count`);
    encs.forEach((enc, k) => {
      assert.deepEqual(Array.from(enc.ids), w.input_ids[k], `windows ${n}.${k}: ids`);
      assert.deepEqual(Array.from(enc.type_ids), w.token_type_ids[k], `windows ${n}.${k}: type ids`);
      assert.deepEqual(Array.from(enc.codepoint_offsets), flat(w.offset_mapping[k]), `windows ${n}.${k}: offsets`);
      checkUtf16(w.context, enc, 1);
    });
    windows += encs.length;
  }
  t.diagnostic(`${windows} windows identical`);
});

test('tokenizer: truncation keeps the final [SEP] and says so', { skip: SKIP_REASON }, () => {
  const c = ref.truncation;
  const enc = model.tokenize(c.text, null, { truncation: true, max_length: c.max_length });
  assert.deepEqual(Array.from(enc.ids), c.input_ids);
  assert.equal(enc.truncated, true);
  const full = model.tokenize(c.text);
  assert.equal(full.truncated, false);
  assert.ok(full.ids.length > c.max_length);
  assert.deepEqual(Array.from(full.ids.subarray(0, c.max_length - 1)), c.input_ids.slice(0, -1));
});
