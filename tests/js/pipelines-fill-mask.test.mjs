// fill-mask pipeline against Hugging Face's FillMaskPipeline (bert-mini-mlm reference, top 5 for 10
// sentences), plus several masks per text, targets, top_k and the errors of the task.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pipeline, BertologyError } from '../../js/index.js';
import { SKIP_REASON, readSharedJson, sharedPath } from './helpers/shared.js';

/** @type {any} */
let fill;
before(async () => {
  if (!SKIP_REASON) fill = await pipeline('fill-mask', sharedPath('models', 'bert-mini-mlm'), { threads: 2 });
});
after(async () => { await fill?.dispose(); });

test('fill-mask: top 5 tokens, strings and sequences equal the reference, scores within 1e-4', { skip: SKIP_REASON }, async (t) => {
  const ref = readSharedJson('reference', 'bert-mini-mlm.fill-mask.json');
  const out = await fill(ref.inputs);
  assert.equal(out.length, ref.inputs.length);
  let maxDiff = 0;
  out.forEach((/** @type {any[]} */ preds, /** @type {number} */ i) => {
    assert.equal(preds.length, 5);
    preds.forEach((p, k) => {
      const r = ref.outputs[i][k];
      assert.deepEqual(Object.keys(p), ['score', 'token', 'token_str', 'sequence']);
      assert.equal(p.token, r.token, `text ${i} rank ${k}: token`);
      assert.equal(p.token_str, r.token_str);
      assert.equal(p.sequence, r.sequence);
      maxDiff = Math.max(maxDiff, Math.abs(p.score - r.score));
    });
  });
  t.diagnostic(`50/50 predictions agree; max |score - reference| = ${maxDiff.toExponential(2)}`);
  assert.ok(maxDiff <= 1e-4);
  // One string gives one list, the same as the batch's first entry.
  const one = await fill(ref.inputs[0]);
  assert.deepEqual(one.map((/** @type {any} */ p) => p.token), ref.outputs[0].map((/** @type {any} */ p) => p.token));
});

test('fill-mask: several masks give a list per mask; sequences keep specials and the other mask', { skip: SKIP_REASON }, async () => {
  const out = await fill('The [MASK] sat on the [MASK].', { top_k: 3 });
  assert.equal(out.length, 2);
  for (const perMask of out) assert.equal(perMask.length, 3);
  assert.match(out[0][0].sequence, /^\[CLS\] the \S+ sat on the \[MASK\]\. \[SEP\]$/);
  assert.match(out[1][0].sequence, /^\[CLS\] the \[MASK\] sat on the \S+\. \[SEP\]$/);
  for (const perMask of out) {
    for (let k = 1; k < perMask.length; k++) assert.ok(perMask[k - 1].score >= perMask[k].score);
  }
});

test('fill-mask: top_k and targets', { skip: SKIP_REASON }, async () => {
  const ref = readSharedJson('reference', 'bert-mini-mlm.fill-mask.json');
  const top1 = await fill(ref.inputs[9], { top_k: 1 });
  assert.equal(top1.length, 1);
  assert.equal(top1[0].token, ref.outputs[9][0].token);
  // Targets keep full-vocabulary probabilities: the reference's 2nd and 4th tokens, re-ranked.
  const wanted = [ref.outputs[9][3].token_str, ref.outputs[9][1].token_str];
  const targeted = await fill(ref.inputs[9], { targets: wanted });
  assert.deepEqual(targeted.map((/** @type {any} */ p) => p.token_str), [ref.outputs[9][1].token_str, ref.outputs[9][3].token_str]);
  assert.ok(Math.abs(targeted[0].score - ref.outputs[9][1].score) <= 1e-4);
  // Pipeline-level defaults apply to every call.
  const two = await pipeline('fill-mask', fill.model, { top_k: 2 });
  assert.equal((await two(ref.inputs[0])).length, 2);
  await two.dispose();
  assert.ok(fill.model.info.has_tokenizer, 'disposing a pipeline over a loaded model leaves the model alive');
});

test('fill-mask: errors', { skip: SKIP_REASON }, async () => {
  await assert.rejects(fill('No mask in this sentence.'), (e) => e instanceof BertologyError && /no mask token \(\[MASK\]\)/.test(e.message));
  await assert.rejects(fill(['ok [MASK]', 'none here']), /no mask token.*"none here"/);
  await assert.rejects(fill([]), /empty batch/);
  await assert.rejects(fill(42), /expected a string or an array of strings, got number/);
  await assert.rejects(fill(['a [MASK]', null]), /input 1 must be a string, got null/);
  await assert.rejects(fill('a [MASK]', { top_k: 0 }), /top_k must be a positive integer/);
  await assert.rejects(fill('a [MASK]', { topk: 3 }), /unknown option "topk"/);
});
