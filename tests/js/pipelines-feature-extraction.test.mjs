// feature-extraction pipeline against the reference last hidden state of bert-mini-sst2: mask-aware
// mean pooling + normalization, [CLS] pooling, no pooling; Tensor shape and tolist(); token-id input.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pipeline, Tensor } from '../../js/index.js';
import { readTensors } from './helpers/safetensors.js';
import { assertClose } from './helpers/compare.js';
import { SKIP_REASON, readSharedJson, sharedPath } from './helpers/shared.js';

/** @type {any} */
let extractor;
/** @type {any} */
let ref;
/** @type {Record<string, {data: any, shape: number[]}>} */
let tensors;
before(async () => {
  if (SKIP_REASON) return;
  extractor = await pipeline('embeddings', sharedPath('models', 'bert-mini-sst2'), { threads: 2 });
  ref = readSharedJson('reference', 'bert-mini-sst2.json');
  tensors = readTensors(sharedPath('reference', 'bert-mini-sst2.safetensors'));
});
after(async () => { await extractor?.dispose(); });

/** The reference's last hidden state [batch, seq, hidden] and mask. */
function lastHidden() {
  const [layers, batch, seq, hidden] = tensors.hidden_states.shape;
  const size = batch * seq * hidden;
  return { data: tensors.hidden_states.data.subarray((layers - 1) * size, layers * size), batch, seq, hidden, mask: tensors.attention_mask.data };
}

test('feature-extraction: mean pooling + normalize equals the mask-aware mean of the reference, unit norm', { skip: SKIP_REASON }, async (t) => {
  const { data, batch, seq, hidden, mask } = lastHidden();
  const expected = new Float32Array(batch * hidden);
  for (let b = 0; b < batch; b++) {
    const sum = new Float64Array(hidden);
    let n = 0;
    for (let s = 0; s < seq; s++) {
      if (!mask[b * seq + s]) continue;
      n++;
      for (let h = 0; h < hidden; h++) sum[h] += data[(b * seq + s) * hidden + h];
    }
    const norm = Math.hypot(...sum.map((v) => v / n));
    for (let h = 0; h < hidden; h++) expected[b * hidden + h] = sum[h] / n / norm;
  }
  const out = await extractor(ref.texts, { pooling: 'mean', normalize: true });
  assert.ok(out instanceof Tensor);
  assert.equal(out.type, 'float32');
  const diff = assertClose('mean+normalize', out, { data: expected, shape: [batch, hidden] }, 1e-5);
  t.diagnostic(`max |embedding - reference| = ${diff.toExponential(2)}`);
  for (const v of out.tolist()) assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-6);
  const one = await extractor(ref.texts[2], { pooling: 'mean', normalize: true });
  assert.deepEqual(one.dims, [1, hidden]);
  assert.ok(Math.max(...one.data.map((/** @type {number} */ v, /** @type {number} */ h) => Math.abs(v - expected[2 * hidden + h]))) <= 1e-5);
});

test('feature-extraction: cls and no pooling; hidden states and attentions', { skip: SKIP_REASON }, async () => {
  const { data, batch, seq, hidden, mask } = lastHidden();
  const cls = await extractor(ref.texts, { pooling: 'cls' });
  const first = new Float32Array(batch * hidden);
  for (let b = 0; b < batch; b++) first.set(data.subarray(b * seq * hidden, b * seq * hidden + hidden), b * hidden);
  assertClose('cls', cls, { data: first, shape: [batch, hidden] }, 1e-4);

  const all = await extractor(ref.texts);
  assert.deepEqual(all.dims, [batch, seq, hidden], 'padded to the longest input');
  const masked = data.map((/** @type {number} */ v, /** @type {number} */ i) => (mask[Math.floor(i / hidden)] ? v : 0));
  assertClose('no pooling (padding zeroed)', all, { data: masked, shape: [batch, seq, hidden] }, 1e-4);

  const withOutputs = await extractor(ref.texts, { pooling: 'mean', output_hidden_states: true, output_attentions: true });
  assertClose('hidden_states', withOutputs.hidden_states, tensors.hidden_states, 1e-4);
  assertClose('attentions', withOutputs.attentions, tensors.attentions, 1e-4);
});

test('feature-extraction: token-id input gives the same embeddings', { skip: SKIP_REASON }, async () => {
  const [batch, seq] = tensors.input_ids.shape;
  const ids = { input_ids: { data: tensors.input_ids.data, dims: [batch, seq] }, attention_mask: { data: tensors.attention_mask.data, dims: [batch, seq] } };
  const fromIds = await extractor(ids, { pooling: 'mean', normalize: true });
  const fromText = await extractor(ref.texts, { pooling: 'mean', normalize: true });
  assertClose('ids vs text', fromIds, { data: fromText.data, shape: fromText.dims }, 1e-6);
  await assert.rejects(extractor('x', { pooling: 'max' }), /pooling must be one of none, cls, first_token, mean/);
});
