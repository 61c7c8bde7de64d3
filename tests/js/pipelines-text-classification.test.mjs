// text-classification pipeline: all 872 SST-2 dev sentences against Hugging Face's pipeline scores,
// sentence pairs against the reference logits, result shapes (transformers.js), sigmoid and errors.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pipeline } from '../../js/index.js';
import { softmax, sigmoid } from '../../js/tensor.js';
import { readTensors } from './helpers/safetensors.js';
import { assertClose } from './helpers/compare.js';
import { SKIP_REASON, readModelFiles, readSharedJson, sharedPath } from './helpers/shared.js';

/** @type {any} */
let classifier;
before(async () => {
  if (!SKIP_REASON) classifier = await pipeline('sentiment-analysis', sharedPath('models', 'bert-mini-sst2'), { threads: 2 });
});
after(async () => { await classifier?.dispose(); });

test('text-classification: 872 SST-2 dev sentences, labels and scores as Hugging Face (top_k null)', { skip: SKIP_REASON }, async (t) => {
  const ref = readSharedJson('reference', 'bert-mini-sst2.sst2-dev.json');
  const started = performance.now();
  const out = await classifier(ref.texts, { top_k: null });
  const seconds = (performance.now() - started) / 1000;
  assert.equal(out.length, 872);
  let maxDiff = 0;
  let correct = 0;
  out.forEach((/** @type {any[]} */ scores, /** @type {number} */ i) => {
    assert.deepEqual(scores.map((s) => s.label), ref.outputs[i].map((/** @type {any} */ s) => s.label), `sentence ${i}`);
    scores.forEach((s, k) => { maxDiff = Math.max(maxDiff, Math.abs(s.score - ref.outputs[i][k].score)); });
    if (scores[0].label === (ref.labels[i] === 1 ? 'POSITIVE' : 'NEGATIVE')) correct++;
  });
  t.diagnostic(`872/872 label orders agree; max |score - reference| = ${maxDiff.toExponential(2)}; `
    + `accuracy ${correct}/872; ${seconds.toFixed(1)} s`);
  assert.ok(maxDiff <= 1e-4);
  assert.equal(correct, 747);
});

test('text-classification: result shapes follow transformers.js', { skip: SKIP_REASON }, async () => {
  const one = await classifier('I loved it');
  assert.equal(one.length, 1);
  assert.deepEqual(Object.keys(one[0]), ['label', 'score']);
  const batch = await classifier(['I loved it', 'It was awful']);
  assert.deepEqual(batch.map((/** @type {any} */ r) => r.label), ['POSITIVE', 'NEGATIVE']);
  const all = await classifier('I loved it', { top_k: null });
  assert.equal(all.length, 2);
  assert.ok(Math.abs(all[0].score + all[1].score - 1) < 1e-6);
  const lists = await classifier(['I loved it', 'It was awful'], { top_k: 2 });
  assert.equal(lists.length, 2);
  assert.equal(lists[1].length, 2);
  assert.equal(lists[1][0].label, 'NEGATIVE');
  assert.deepEqual((await classifier('I loved it', { top_k: 5 })).length, 2);
});

test('text-classification: text pairs match the reference logits', { skip: SKIP_REASON }, async (t) => {
  const ref = readSharedJson('reference', 'bert-mini-sst2.pairs.json');
  const logits = readTensors(sharedPath('reference', 'bert-mini-sst2.pairs.safetensors')).logits;
  const inputs = ref.texts.map((/** @type {string} */ text, /** @type {number} */ i) => ({ text, text_pair: ref.pairs[i] }));
  const out = await classifier(inputs, { top_k: null });
  let maxDiff = 0;
  out.forEach((/** @type {any[]} */ scores, /** @type {number} */ i) => {
    const probs = softmax(logits.data, 2 * i, 2);
    for (const s of scores) {
      const k = s.label === 'NEGATIVE' ? 0 : 1;
      maxDiff = Math.max(maxDiff, Math.abs(s.score - probs[k]));
    }
  });
  t.diagnostic(`pairs: max |score - softmax(reference logits)| = ${maxDiff.toExponential(2)}`);
  assert.ok(maxDiff <= 1e-4);
  const single = await classifier(inputs[0], { top_k: null });
  assert.deepEqual(single, out[0]);
});

test('text-classification: function_to_apply and outputs', { skip: SKIP_REASON }, async () => {
  const ref = readSharedJson('reference', 'bert-mini-sst2.json');
  const tensors = readTensors(sharedPath('reference', 'bert-mini-sst2.safetensors'));
  const [sig] = await classifier([ref.texts[0]], { function_to_apply: 'sigmoid', top_k: null });
  const expected = sigmoid(tensors.logits.data, 0, 2);
  for (const s of sig) assert.ok(Math.abs(s.score - expected[s.label === 'NEGATIVE' ? 0 : 1]) <= 1e-4);
  const raw = await classifier(ref.texts[0], { function_to_apply: 'none', top_k: null });
  assert.ok(raw.some((/** @type {any} */ s) => Math.abs(s.score - tensors.logits.data[1]) <= 1e-4));
  const out = await classifier(ref.texts, { output_attentions: true, output_hidden_states: true });
  assert.equal(out.length, ref.texts.length);
  // One padded batch in input order, as the reference was computed.
  assertClose('attentions', out.attentions, tensors.attentions, 1e-4);
  assertClose('hidden_states', out.hidden_states, tensors.hidden_states, 1e-4);
  await assert.rejects(classifier('x', { function_to_apply: 'relu' }), /function_to_apply must be/);
  await assert.rejects(classifier({ text: 1 }), /must be a string or \{text, text_pair\}/);
  await assert.rejects(classifier([]), /empty batch/);
});

test('text-classification: multi-label models default to sigmoid, regression models to raw scores', { skip: SKIP_REASON }, async () => {
  const ref = readSharedJson('reference', 'bert-mini-sst2.json');
  const logits = readTensors(sharedPath('reference', 'bert-mini-sst2.safetensors')).logits;
  const files = readModelFiles(sharedPath('models', 'bert-mini-sst2'));
  const config = JSON.parse(new TextDecoder().decode(files['config.json']));
  for (const [problem, fn] of /** @type {const} */ ([['multi_label_classification', sigmoid], ['regression', null]])) {
    const pipe = await pipeline('text-classification', { ...files, 'config.json': JSON.stringify({ ...config, problem_type: problem }) }, { threads: 1 });
    try {
      const out = await pipe(ref.texts.slice(0, 3), { top_k: null });
      out.forEach((/** @type {any[]} */ scores, /** @type {number} */ b) => {
        const want = fn ? fn(logits.data, 2 * b, 2) : Array.from(logits.data.subarray(2 * b, 2 * b + 2));
        for (const s of scores) assert.ok(Math.abs(s.score - want[s.label === 'NEGATIVE' ? 0 : 1]) <= 1e-4, `${problem} row ${b}`);
      });
    } finally {
      await pipe.dispose();
    }
  }
});
