// The pipelines' tokenizer API (AutoTokenizer / pipe.tokenizer) against the `tokenizers` library's
// output on bert-base-uncased (shared/reference/tokenizer-bert-base-uncased.json): encode (offsets as
// JS string indices), pairs, QA-style overflowing windows, truncation, single-text overflow, decode.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AutoTokenizer, BertologyError } from '../../js/index.js';
import { SKIP_REASON, readSharedJson, sharedPath } from './helpers/shared.js';

/** @type {any} */
let tok;
/** @type {any} */
let ref;
before(async () => {
  if (SKIP_REASON) return;
  ref = readSharedJson('reference', 'tokenizer-bert-base-uncased.json');
  tok = await AutoTokenizer.from_pretrained(sharedPath('models', 'bert-mini-sst2'), { threads: 1 });
});
after(() => tok?.dispose());

/**
 * Reference offsets are code points; ours are JS string indices.
 * @param {string} text
 * @param {number[][]} offsets
 */
function toUtf16(text, offsets) {
  const map = [0];
  for (const ch of text) map.push(map[map.length - 1] + ch.length);
  return offsets.map(([s, e]) => [map[s], map[e]]);
}

test('tokenizer: encode reproduces every single-text case (ids, tokens, type ids, offsets)', { skip: SKIP_REASON }, async (t) => {
  for (const c of ref.cases) {
    const e = tok.encode(c.text);
    const what = JSON.stringify(c.text).slice(0, 60);
    assert.deepEqual(e.input_ids, c.ids, what);
    assert.deepEqual(e.tokens, c.tokens, what);
    assert.deepEqual(e.token_type_ids, c.type_ids, what);
    assert.deepEqual(e.attention_mask, c.ids.map(() => 1));
    const special = e.sequence_ids.map((/** @type {number | null} */ s) => s === null);
    assert.deepEqual(e.offsets.filter((/** @type {any} */ _, /** @type {number} */ i) => !special[i]),
      toUtf16(c.text, c.offsets).filter((_, i) => !special[i]), what);
  }
  t.diagnostic(`${ref.cases.length} cases`);
});

test('tokenizer: pairs and QA windows with return_overflowing_tokens', { skip: SKIP_REASON }, async () => {
  for (const p of ref.pairs) {
    const e = tok.encode(p.a, p.b);
    assert.deepEqual(e.input_ids, p.ids);
    assert.deepEqual(e.token_type_ids, p.type_ids);
  }
  for (const w of ref.windows) {
    const max_length = Number(w.max_length);
    const stride = Number(w.stride);
    const windows = tok.encode(w.question, w.context, { truncation: true, max_length, stride, return_overflowing_tokens: true });
    assert.deepEqual(windows.map((/** @type {any} */ x) => x.input_ids), w.input_ids);
    assert.deepEqual(windows.map((/** @type {any} */ x) => x.token_type_ids), w.token_type_ids);
    windows.forEach((/** @type {any} */ x, /** @type {number} */ i) => {
      x.offsets.forEach((/** @type {number[]} */ o, /** @type {number} */ k) => {
        const text = x.sequence_ids[k] === 1 ? w.context : w.question;
        assert.deepEqual(o, toUtf16(text, [w.offset_mapping[i][k]])[0], `window ${i} token ${k}`);
      });
    });
  }
});

test('tokenizer: truncation keeps the final [SEP]; single-text overflow follows Hugging Face', { skip: SKIP_REASON }, async () => {
  const { text, max_length, input_ids } = ref.truncation;
  const cut = tok.encode(text, null, { truncation: true, max_length: Number(max_length) });
  assert.deepEqual(cut.input_ids, input_ids);

  const full = tok.encode(text);
  const body = full.input_ids.slice(1, -1);
  const windows = tok.encode(text, null, { max_length: 32, stride: 8, return_overflowing_tokens: true });
  // Windows of 30 content tokens starting every 22 tokens, until one reaches the end.
  const starts = windows.map((/** @type {any} */ _, /** @type {number} */ i) => 22 * i);
  assert.equal(windows.length, Math.ceil(Math.max(body.length - 30, 0) / 22) + 1);
  windows.forEach((/** @type {any} */ w, /** @type {number} */ i) => {
    assert.equal(w.input_ids[0], 101);
    assert.equal(w.input_ids[w.input_ids.length - 1], 102);
    assert.deepEqual(w.input_ids.slice(1, -1), body.slice(starts[i], starts[i] + 30));
    assert.equal(w.offsets.length, w.input_ids.length);
    assert.ok(w.input_ids.length <= 32);
  });
  assert.equal(windows.at(-1).input_ids.at(-2), body.at(-1));
  const short = tok.encode('short text', null, { max_length: 32, stride: 8, return_overflowing_tokens: true });
  assert.equal(short.length, 1);
  assert.throws(() => tok.encode(text, null, { max_length: 10, stride: 8, return_overflowing_tokens: true }), /stride must be in \[0, 8\)/);
  assert.throws(() => tok.encode(text, null, { stride: 8 }), /stride needs return_overflowing_tokens/);
});

test('tokenizer: decode, conversions and properties', { skip: SKIP_REASON }, async () => {
  const e = tok.encode("Hello, world! It's 24–10.");
  // The tokenizers library's WordPiece decoder cleans up per token (" ," → ","), not " ' s".
  assert.equal(tok.decode(e.input_ids), "[CLS] hello, world! it ' s 24 – 10. [SEP]");
  assert.equal(tok.decode(e.input_ids, { skip_special_tokens: true }), "hello, world! it ' s 24 – 10.");
  assert.deepEqual(tok.convert_ids_to_tokens(e.input_ids), e.tokens);
  assert.equal(tok.convert_ids_to_tokens(103), '[MASK]');
  assert.deepEqual(tok.convert_tokens_to_ids(['hello', 'no-such-token']), [7592, 100]);
  assert.equal(tok.convert_tokens_to_string(['un', '##believ', '##able', '!']), 'unbelievable!');
  assert.deepEqual(tok.tokenize('unbelievable'), tok.encode('unbelievable').tokens.slice(1, -1));
  assert.equal(tok.model_max_length, 512);
  assert.equal(tok.mask_token, '[MASK]');
  assert.equal(tok.mask_token_id, 103);
  assert.equal(tok.pad_token_id, 0);
  assert.equal(tok.encode('hello', { add_special_tokens: false }).input_ids.length, 1);
  assert.throws(() => tok.encode(5), (err) => err instanceof BertologyError && /text must be a string/.test(err.message));
  await assert.rejects(AutoTokenizer.from_pretrained(sharedPath('models', 'tiny', 'tiny-bert-bertmodel'), { threads: 1 }),
    /has no tokenizer/);
});
