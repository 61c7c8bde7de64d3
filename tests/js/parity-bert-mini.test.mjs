// The trained BERT-mini models (float16 weights, two shards) reproduce Hugging Face on the
// reference texts: our tokenizer gives the reference's padded input_ids / token_type_ids /
// attention_mask exactly, and logits (or start/end logits), all hidden states and all attentions
// are within 1e-4.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BertologyModel } from '../../js/index.js';
import { SKIP_REASON, readSharedJson, sharedPath } from './helpers/shared.js';
import { readTensors } from './helpers/safetensors.js';
import { assertClose } from './helpers/compare.js';

const TOL = 1e-4;
const CASES = [
  { model: 'bert-mini-sst2', ref: 'bert-mini-sst2' },
  { model: 'bert-mini-sst2', ref: 'bert-mini-sst2.pairs' },
  { model: 'bert-mini-mlm', ref: 'bert-mini-mlm' },
  { model: 'bert-mini-conll03', ref: 'bert-mini-conll03' },
  { model: 'bert-mini-squad', ref: 'bert-mini-squad' },
];
const OUTPUTS = ['logits', 'start_logits', 'end_logits', 'hidden_states', 'attentions'];

for (const c of CASES) {
  test(`bert-mini parity: ${c.ref}`, { skip: SKIP_REASON }, async (t) => {
    const { texts, pairs, tokens } = readSharedJson('reference', `${c.ref}.json`);
    const ref = readTensors(sharedPath('reference', `${c.ref}.safetensors`));
    const model = await BertologyModel.load(sharedPath('models', c.model), { threads: 2 });
    try {
      const out = model.forward(texts, { pairs, truncation: false, output_hidden_states: true, output_attentions: true });

      // Inputs: tokens, ids, type ids and mask exactly as Hugging Face padded them.
      out.encodings?.forEach((enc, i) => {
        const expected = tokens[i].filter((/** @type {string} */ tok) => tok !== '[PAD]');
        assert.deepEqual(enc.tokens, expected, `${c.ref} row ${i}: tokens`);
      });
      for (const key of ['input_ids', 'token_type_ids', 'attention_mask']) {
        const actual = /** @type {any} */ (out)[key];
        assert.ok(actual, `${key} missing`);
        assert.deepEqual(actual.dims, ref[key].shape, `${c.ref}: ${key} dims`);
        assert.deepEqual(Array.from(actual.data), Array.from(ref[key].data), `${c.ref}: ${key}`);
      }

      const diffs = [];
      for (const key of OUTPUTS) {
        if (!ref[key]) continue;
        const diff = assertClose(`${c.ref} ${key}`, /** @type {any} */ (out)[key], ref[key], TOL);
        diffs.push(`${key} ${diff.toExponential(2)}`);
      }
      assert.ok(diffs.length >= 3, `${c.ref}: compared only ${diffs.join(', ')}`);
      t.diagnostic(`${c.ref} max abs diff: ${diffs.join(', ')}`);
    } finally {
      model.dispose();
    }
  });
}
