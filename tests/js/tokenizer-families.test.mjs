// The wasm build's tokenizers against the real Hugging Face `tokenizers` library (npm
// @anush008/tokenizers, a native build of tokenizers 0.22; it reports offsets in code points, as
// our `codepoint_offsets` are): tokenizer.json files in each encoder family's real configuration
// (tests/fixtures/tokenizers/families.mjs) and one per component and option
// (components.mjs), over the shared texts — every id, token, offset, type id and word id, and
// decode with and without special tokens. Expected values are computed here, by the oracle.
// Also: padding side and pad type id against the oracle's own padding.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { BertologyModel } from '../../js/index.js';
import { padEncodings } from '../../js/batch.js';
import { SKIP_REASON, readModelFiles, sharedPath, SHARED } from './helpers/shared.js';
import { loadVocabs } from '../fixtures/tokenizers/shared-vocabs.mjs';
import { familyTokenizers } from '../fixtures/tokenizers/families.mjs';
import { componentTokenizers } from '../fixtures/tokenizers/components.mjs';
import { loadTexts, HARD_CASES } from '../fixtures/tokenizers/texts.mjs';

const require = createRequire(import.meta.url);
/** @type {any} */
let oracle = null;
try {
  oracle = require('@anush008/tokenizers');
} catch {
  // reported through SKIP below
}
const SKIP = SKIP_REASON || (oracle ? false : 'the tokenizers oracle (@anush008/tokenizers) is not installed');

/** @type {Record<string, Uint8Array>} */
let modelFiles;
/** @type {ReturnType<typeof loadVocabs>} */
let vocabs;
/** @type {{singles: string[], pairs: Array<[string, string]>}} */
let texts;
/** @type {string[]} */
let componentTexts;

before(() => {
  if (SKIP) return;
  modelFiles = readModelFiles(sharedPath('models', 'tiny', 'tiny-bert-bertmodel'), ['config.json', 'model.safetensors']);
  vocabs = loadVocabs(SHARED);
  texts = loadTexts(SHARED);
  // Components: the hard cases, the reference texts and a slice of each data set.
  componentTexts = loadTexts(SHARED, { sst2: 150, conll: 150, squadQuestions: 100, squadContexts: 20 }).singles;
});

const encoder = new TextEncoder();

/**
 * @param {object} json tokenizer.json
 * @param {object} [config] tokenizer_config.json
 */
async function loadOurs(json, config) {
  const files = { ...modelFiles, 'tokenizer.json': encoder.encode(JSON.stringify(json)) };
  if (config) files['tokenizer_config.json'] = encoder.encode(JSON.stringify(config));
  return BertologyModel.load(files, { threads: 1 });
}

/**
 * Encodes every input with both tokenizers and lists the differences.
 * @param {object} json
 * @param {Array<[string] | [string, string]>} inputs
 */
async function compare(json, inputs) {
  const theirs = oracle.Tokenizer.fromString(JSON.stringify(json));
  const ours = await loadOurs(json);
  const failures = [];
  let identical = 0;
  try {
    for (const input of inputs) {
      const e = await theirs.encode(input[0], input[1] ?? null);
      const ids = e.getIds();
      const want = {
        ids, tokens: e.getTokens(), offsets: e.getOffsets().flat(), type_ids: e.getTypeIds(),
        word_ids: e.getWordIds().map((/** @type {number | null} */ w) => w ?? -1),
        decode: await theirs.decode(ids, false), decode_skip: await theirs.decode(ids, true),
      };
      const enc = ours.tokenize(input[0], input[1] ?? null);
      const ourIds = Int32Array.from(enc.ids);
      const got = {
        ids: Array.from(enc.ids), tokens: enc.tokens, offsets: Array.from(enc.codepoint_offsets), type_ids: Array.from(enc.type_ids),
        word_ids: Array.from(enc.word_ids), decode: ours.decode(ourIds), decode_skip: ours.decode(ourIds, { skip_special_tokens: true }),
      };
      const bad = Object.keys(want).filter((k) => JSON.stringify(/** @type {any} */ (got)[k]) !== JSON.stringify(/** @type {any} */ (want)[k]));
      if (bad.length === 0) {
        identical++;
      } else if (failures.length < 5) {
        failures.push(`${JSON.stringify(input).slice(0, 80)}: ${bad.map((k) => `${k} ${JSON.stringify(/** @type {any} */ (got)[k]).slice(0, 160)} != ${JSON.stringify(/** @type {any} */ (want)[k]).slice(0, 160)}`).join('; ')}`);
      }
    }
  } finally {
    ours.dispose();
  }
  return { identical, total: inputs.length, failures };
}

test('tokenizer families: real configurations identical to tokenizers on the shared texts', { skip: SKIP }, async (t) => {
  const families = familyTokenizers(vocabs);
  const inputs = [...texts.singles.map((s) => /** @type {[string]} */ ([s])), ...texts.pairs];
  for (const [name, family] of Object.entries(families)) {
    await t.test(name, async (st) => {
      const { identical, total, failures } = await compare(family.json, inputs);
      st.diagnostic(`${family.note}: ${identical}/${total} texts identical (ids, tokens, offsets, type ids, word ids, decode)`);
      assert.deepEqual(failures, [], `${name}: ${total - identical} texts differ`);
    });
  }
});

test('tokenizer components: each normalizer / pre-tokenizer / model / post-processor / decoder option', { skip: SKIP }, async (t) => {
  const components = componentTokenizers(vocabs, [...componentTexts, ...HARD_CASES]);
  const inputs = [...componentTexts.map((s) => /** @type {[string]} */ ([s])), ...texts.pairs.slice(0, 40)];
  for (const [name, component] of Object.entries(components)) {
    await t.test(name, async (st) => {
      const { identical, total, failures } = await compare(component.json, inputs);
      st.diagnostic(`${component.note}: ${identical}/${total} identical`);
      assert.deepEqual(failures, [], `${name}: ${total - identical} texts differ`);
    });
  }
});

test('tokenizer padding side: XLNet pads on the left with type id 3, as tokenizers pads', { skip: SKIP }, async () => {
  const xlnet = familyTokenizers(vocabs).xlnet;
  const json = { ...xlnet.json, padding: { strategy: 'BatchLongest', direction: 'Left', pad_to_multiple_of: null, pad_id: 5, pad_type_id: 3, pad_token: '<pad>' } };
  const batch = ['Hello world!', 'A much longer sentence, with more words in it.', 'x'];
  const theirs = oracle.Tokenizer.fromString(JSON.stringify(json));
  const want = await theirs.encodeBatch(batch);
  const ours = await loadOurs(xlnet.json, xlnet.config);
  try {
    assert.equal(ours.info.padding_side, 'left', 'tokenizer_config.json padding_side');
    assert.equal(ours.padding_side, 'left');
    const padded = padEncodings(batch.map((s) => ours.tokenize(s)), ours.info.pad_token_id === 5 ? 5 : 5, { side: ours.padding_side, padTypeId: 3 });
    for (let b = 0; b < batch.length; b++) {
      const row = (/** @type {Int32Array} */ a) => Array.from(a.subarray(b * padded.seq, (b + 1) * padded.seq));
      assert.deepEqual(row(padded.ids), want[b].getIds(), `row ${b} ids`);
      assert.deepEqual(row(padded.mask), want[b].getAttentionMask(), `row ${b} mask`);
      assert.deepEqual(row(/** @type {Int32Array} */ (padded.typeIds)), want[b].getTypeIds(), `row ${b} type ids`);
    }
    ours.padding_side = 'right';
    assert.equal(ours.padding_side, 'right');
    assert.throws(() => { ours.padding_side = /** @type {any} */ ('middle'); }, /left' or 'right/);
  } finally {
    ours.dispose();
  }
  // Without a padding side anywhere, right padding as before; tokenizer.json's own padding
  // direction is honoured when tokenizer_config.json says nothing.
  const plain = await loadOurs(familyTokenizers(vocabs).mpnet.json);
  try {
    assert.equal(plain.info.padding_side, 'right');
  } finally {
    plain.dispose();
  }
  const fromJson = await loadOurs(json);
  try {
    assert.equal(fromJson.info.padding_side, 'left');
    assert.equal(fromJson.info.pad_token_type_id, 3);
  } finally {
    fromJson.dispose();
  }
});

test('tokenizer padding side: forward pads batches on the tokenizer side', { skip: SKIP }, async () => {
  const dir = sharedPath('models', 'bert-mini-sst2');
  const files = readModelFiles(dir);
  files['tokenizer_config.json'] = encoder.encode(JSON.stringify({ padding_side: 'left', model_max_length: 512 }));
  const model = await BertologyModel.load(files, { threads: 1 });
  try {
    assert.equal(model.padding_side, 'left');
    const out = model.forward(['good', 'a rather long and boring film'], { output_last_hidden_state: false });
    const [b, seq] = out.input_ids.dims;
    assert.equal(b, 2);
    const mask = Array.from(out.attention_mask.data.subarray(0, seq));
    const short = model.tokenize('good').ids.length;
    assert.deepEqual(mask, [...Array(seq - short).fill(0), ...Array(short).fill(1)]);
    model.padding_side = 'right';
    const right = model.forward(['good', 'a rather long and boring film'], { output_last_hidden_state: false });
    assert.deepEqual(Array.from(right.attention_mask.data.subarray(0, seq)), [...Array(short).fill(1), ...Array(seq - short).fill(0)]);
  } finally {
    model.dispose();
  }
});
