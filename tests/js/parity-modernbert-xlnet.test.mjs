// ModernBERT and XLNet in the wasm engine (native twin: tests/native/test_parity_modernbert_xlnet.cc):
// each tiny-v2 checkpoint reproduces its reference.safetensors — Hugging Face's own modeling code, see
// the folder's SOURCE.md — within 1e-5 × max(1, max|reference|) per tensor: every layer's hidden states
// (ModernBERT's last after the final norm), the attention probabilities (real query rows, and padded
// rows as Hugging Face defines them), the head outputs; at 1 and 2 threads; and the head-only forward
// the pipelines use (last layer pruned to the rows the head reads) gives the same head outputs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BertologyModel } from '../../js/index.js';
import { SKIP_REASON, sharedPath } from './helpers/shared.js';
import { readTensors } from './helpers/safetensors.js';

const MODELS = [
  'modernbert-model', 'modernbert-maskedlm', 'modernbert-sequenceclassification', 'modernbert-sequenceclassification-cls',
  'modernbert-tokenclassification', 'xlnet-model', 'xlnet-lmhead', 'xlnet-sequenceclassification',
  'xlnet-tokenclassification', 'xlnet-questionanswering-simple',
];

/** max |a − b| / max(1, max |b|) over the entries `keep` selects. */
function relative(/** @type {ArrayLike<number>} */ a, /** @type {ArrayLike<number>} */ b, keep = (/** @type {number} */ _) => true) {
  assert.equal(a.length, b.length, 'length mismatch');
  let err = 0, ref = 0;
  for (let i = 0; i < b.length; i++) {
    if (!keep(i)) continue;
    ref = Math.max(ref, Math.abs(b[i]));
    const d = Math.abs(a[i] - b[i]);
    err = Number.isNaN(d) ? Infinity : Math.max(err, d);
  }
  return err / Math.max(1, ref);
}

for (const threads of [1, 2]) {
  test(`ModernBERT and XLNet match Hugging Face (${threads} thread(s))`, { skip: SKIP_REASON }, async (t) => {
    for (const name of MODELS) {
      const dir = sharedPath('models', 'tiny-v2', name);
      const ref = readTensors(`${dir}/reference.safetensors`);
      const model = await BertologyModel.load(dir, { threads });
      try {
        const [batch, seq] = ref.input_ids.shape;
        /** @type {Record<string, {data: ArrayLike<number>, dims: number[]}>} */
        const inputs = {};
        for (const k of ['input_ids', 'attention_mask', 'token_type_ids']) if (ref[k]) inputs[k] = { data: ref[k].data, dims: [batch, seq] };
        const out = /** @type {Record<string, any>} */ (model.forward(/** @type {any} */ (inputs),
          { output_hidden_states: true, output_attentions: true }));
        const errors = /** @type {Record<string, number>} */ ({});
        for (const key of ['logits', 'start_logits', 'end_logits']) {
          if (!ref[key]) continue;
          assert.deepEqual(out[key].dims, ref[key].shape, `${name} ${key} dims`);
          errors[key] = relative(out[key].data, ref[key].data);
        }
        errors.hidden_states = relative(out.hidden_states.data, ref.hidden_states.data);
        const mask = ref.attention_mask.data, heads = ref.attentions.shape[2];
        const real = (/** @type {number} */ i) => Number(mask[(Math.floor(i / (seq * seq * heads)) % batch) * seq + (Math.floor(i / seq) % seq)]) !== 0;
        errors['attentions(real rows)'] = relative(out.attentions.data, ref.attentions.data, real);
        errors['attentions(padded rows)'] = relative(out.attentions.data, ref.attentions.data, (i) => !real(i));
        const pruned = /** @type {Record<string, any>} */ (model.forward(/** @type {any} */ (inputs), { output_last_hidden_state: false }));
        for (const key of ['logits', 'start_logits', 'end_logits']) {
          if (ref[key]) errors[`${key}(head-only)`] = relative(pruned[key].data, ref[key].data);
        }
        for (const [kind, e] of Object.entries(errors)) assert.ok(e <= 1e-5, `${name} ${kind}: ${e.toExponential(2)} × max(1, max|ref|)`);
        t.diagnostic(`${name}: ${Object.entries(errors).map(([k, e]) => `${k} ${e.toExponential(1)}`).join(', ')}`);
      } finally {
        model.dispose();
      }
    }
  });
}
