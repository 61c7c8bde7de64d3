// The tiny-v2 reference harness, wasm side (native twin: tests/native/test_parity_tiny_v2.cc): every
// folder listed in tests/fixtures/tiny-v2-models.json (under ../shared/models/tiny-v2) loads from
// model.safetensors + config.json and reproduces its reference.safetensors — Hugging Face's own
// modeling code, see each folder's SOURCE.md — within 1e-5 × max(1, max|reference|) per tensor: every
// layer's hidden states, the attention probabilities (real and padded query rows, both as Hugging Face
// computes them), the head's outputs; with 1 and 2 engine threads; and the head-only forward the
// pipelines use gives the same head outputs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BertologyModel } from '../../js/index.js';
import { REPO, SKIP_REASON, sharedPath } from './helpers/shared.js';
import { readTensors } from './helpers/safetensors.js';

const REL_TOL = 1e-5;
const HEAD_OUTPUTS = ['logits', 'start_logits', 'end_logits', 'last_hidden_state', 'pooler_output'];
const INPUTS = ['input_ids', 'attention_mask', 'token_type_ids', 'task_type_ids'];

/** @type {string[]} */
const MODELS = JSON.parse(readFileSync(`${REPO}/tests/fixtures/tiny-v2-models.json`, 'utf8')).models;

/**
 * max |a - b| and max |b| over the entries `keep(i)` selects.
 * @param {ArrayLike<number>} a
 * @param {ArrayLike<number>} b
 * @param {(i: number) => boolean} [keep]
 */
function diff(a, b, keep = () => true) {
  assert.equal(a.length, b.length, 'length mismatch');
  let err = 0, ref = 0;
  for (let i = 0; i < b.length; i++) {
    if (!keep(i)) continue;
    ref = Math.max(ref, Math.abs(b[i]));
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= err)) err = Number.isNaN(d) ? Infinity : d;
  }
  return { err, ref };
}

for (const threads of [1, 2]) {
  for (const name of MODELS) {
    test(`tiny-v2 parity: ${name}, ${threads} thread(s)`, { skip: SKIP_REASON }, async (t) => {
      const dir = sharedPath('models', 'tiny-v2', name);
      const ref = readTensors(`${dir}/reference.safetensors`);
      const model = await BertologyModel.load(dir, { threads });
      try {
        const [batch, seq] = ref.input_ids.shape;
        /** @type {Record<string, {data: ArrayLike<number>, dims: number[]}>} */
        const inputs = {};
        for (const k of INPUTS) if (ref[k]) inputs[k] = { data: ref[k].data, dims: [batch, seq] };
        const out = /** @type {Record<string, any>} */ (model.forward(/** @type {any} */ (inputs),
          { output_hidden_states: true, output_attentions: true }));
        const report = [];
        const check = (/** @type {string} */ kind, /** @type {{err: number, ref: number}} */ d) => {
          const tol = REL_TOL * Math.max(1, d.ref);
          assert.ok(d.err <= tol, `${name} ${kind}: max abs error ${d.err.toExponential(2)} > ${tol.toExponential(2)} (max|ref| ${d.ref})`);
          report.push(`${kind} ${d.err.toExponential(1)}/${d.ref.toFixed(1)}`);
        };
        let heads = 0;
        for (const key of HEAD_OUTPUTS) {
          if (!ref[key]) continue;
          heads++;
          assert.ok(out[key], `${name}: ${key} missing from the engine's output`);
          assert.deepEqual(out[key].dims, ref[key].shape, `${name} ${key}: dims`);
          check(key, diff(out[key].data, ref[key].data));
        }
        if (heads === 0) {  // a base model's reference may hold only hidden_states: its last entry
          const h = ref.hidden_states.data;
          const n = out.last_hidden_state.data.length;
          check('last_hidden_state(=hidden_states[-1])', diff(out.last_hidden_state.data, h.subarray(h.length - n)));
        }
        check('hidden_states', diff(out.hidden_states.data, ref.hidden_states.data));
        assert.deepEqual(out.attentions.dims, ref.attentions.shape, `${name} attentions: dims`);
        const mask = ref.attention_mask.data;
        const [, , nHeads] = ref.attentions.shape;
        // [layers, batch, heads, seq, seq]: the query row's batch row and position.
        const realRow = (/** @type {number} */ i) => {
          const q = Math.floor(i / seq) % seq;
          const b = Math.floor(i / (seq * seq * nHeads)) % batch;
          return Number(mask[b * seq + q]) !== 0;
        };
        check('attentions(real rows)', diff(out.attentions.data, ref.attentions.data, realRow));
        check('attentions(padded rows)', diff(out.attentions.data, ref.attentions.data, (i) => !realRow(i)));
        // The pipelines' call: head outputs only.
        const pruned = /** @type {Record<string, any>} */ (model.forward(/** @type {any} */ (inputs),
          { output_last_hidden_state: false }));
        for (const key of ['logits', 'start_logits', 'end_logits', 'pooler_output']) {
          if (ref[key]) check(`${key}(head-only)`, diff(pruned[key].data, ref[key].data));
        }
        t.diagnostic(`${name} (${threads} thr) max abs error/max|ref|: ${report.join(', ')}`);
      } finally {
        model.dispose();
      }
    });
  }
}
