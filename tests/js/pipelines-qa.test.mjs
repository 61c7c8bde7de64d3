// question-answering pipeline: windows and start/end logits against the bert-mini-squad reference,
// Hugging Face's span decoding (re-derived here from the reference logits), a context far longer
// than one window, input forms, top_k, handle_impossible_answer and errors.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pipeline } from '../../js/index.js';
import { readTensors } from './helpers/safetensors.js';
import { maxAbsDiff } from './helpers/compare.js';
import { SKIP_REASON, readSharedJson, sharedPath } from './helpers/shared.js';

const SETTINGS = { max_seq_len: 256, doc_stride: 64 };

/** @type {any} */
let qa;
before(async () => {
  if (!SKIP_REASON) qa = await pipeline('question-answering', sharedPath('models', 'bert-mini-squad'), { threads: 2 });
});
after(async () => { await qa?.dispose(); });

/**
 * The README's decoding of one window from reference logits: non-context logits except [CLS] to
 * -10000, softmax, [CLS] zeroed, best p_start·p_end over s <= e <= s + 14.
 * @param {ArrayLike<number>} start
 * @param {ArrayLike<number>} end
 * @param {number[]} typeIds
 * @param {number} n tokens in the window (the rest is padding)
 */
function referenceSpan(start, end, typeIds, n) {
  const context = (/** @type {number} */ i) => typeIds[i] === 1 && i < n - 1;
  const probs = (/** @type {ArrayLike<number>} */ x) => {
    const v = Array.from({ length: n }, (_, i) => (i === 0 || context(i) ? x[i] : -10000));
    const m = Math.max(...v);
    const e = v.map((y) => Math.exp(y - m));
    const sum = e.reduce((a, b) => a + b, 0);
    const p = e.map((y) => y / sum);
    p[0] = 0;
    return p;
  };
  const ps = probs(start);
  const pe = probs(end);
  let best = { s: -1, e: -1, score: -1 };
  for (let s = 0; s < n; s++) {
    for (let e = s; e < Math.min(n, s + 15); e++) {
      if (context(s) && context(e) && ps[s] * pe[e] > best.score) best = { s, e, score: ps[s] * pe[e] };
    }
  }
  return best;
}

test('question-answering: windows, start/end logits and answers agree with the reference', { skip: SKIP_REASON }, async (t) => {
  const ref = readSharedJson('reference', 'bert-mini-squad.json');
  const tensors = readTensors(sharedPath('reference', 'bert-mini-squad.safetensors'));
  const [, seq] = tensors.input_ids.shape;
  const items = ref.texts.map((/** @type {string} */ question, /** @type {number} */ i) => ({ question, context: ref.pairs[i] }));
  const { logits } = await qa.logits(items, qa.settings(SETTINGS));
  let maxDiff = 0;
  for (let i = 0; i < items.length; i++) {
    assert.equal(logits[i].length, 1, 'each reference context fits one window');
    const { encoding, start, end } = logits[i][0];
    const row = (/** @type {{data: any}} */ x) => x.data.subarray(i * seq, (i + 1) * seq);
    const n = encoding.ids.length;
    assert.deepEqual(Array.from(encoding.ids), Array.from(row(tensors.input_ids).subarray(0, n)), `text ${i}: ids`);
    assert.equal(row(tensors.attention_mask).reduce((/** @type {number} */ a, /** @type {number} */ b) => a + b, 0), n);
    maxDiff = Math.max(maxDiff, maxAbsDiff(start, row(tensors.start_logits).subarray(0, n)),
      maxAbsDiff(end, row(tensors.end_logits).subarray(0, n)));

    const want = referenceSpan(row(tensors.start_logits), row(tensors.end_logits), Array.from(row(tensors.token_type_ids)), n);
    const got = await qa(items[i], { ...SETTINGS, align_to_words: false });
    const offsets = encoding.offsets;
    assert.equal(got.start, offsets[2 * want.s], `text ${i}: start`);
    assert.equal(got.end, offsets[2 * want.e + 1], `text ${i}: end`);
    assert.equal(got.answer, items[i].context.slice(got.start, got.end));
    assert.ok(Math.abs(got.score - want.score) <= 1e-3 * want.score, `text ${i}: score ${got.score} vs ${want.score}`);
    t.diagnostic(`"${items[i].question}" → "${got.answer}" (${got.score.toExponential(3)})`);
  }
  t.diagnostic(`max |logit - reference| = ${maxDiff.toExponential(2)}`);
  assert.ok(maxDiff <= 1e-4);
});

test('question-answering: an answer at the end of a context 5x longer than max_seq_len is found', { skip: SKIP_REASON }, async (t) => {
  const filler = 'The river flows through the valley and the farmers grow wheat, barley and oats in the fields near the old mill. ';
  const fact = 'The Eiffel Tower was completed in 1889 by the engineer Gustave Eiffel.';
  const context = filler.repeat(60) + fact;
  const tokens = qa.tokenizer.encode(context).input_ids.length;
  assert.ok(tokens > 5 * SETTINGS.max_seq_len, `context has ${tokens} tokens`);
  const question = 'When was the Eiffel Tower completed?';
  const windows = qa.windows({ question, context }, qa.settings(SETTINGS));
  t.diagnostic(`${tokens} context tokens in ${windows.length} windows`);
  assert.ok(windows.length >= 7);
  for (const w of windows) assert.ok(w.ids.length <= SETTINGS.max_seq_len);
  const got = await qa(question, context, SETTINGS);
  assert.equal(got.answer, '1889');
  assert.equal(got.start, context.lastIndexOf('1889'));
  assert.equal(got.end, got.start + 4);
});

test('question-answering: input forms, top_k, alignment and the empty answer', { skip: SKIP_REASON }, async () => {
  const question = 'Who did George Washington meet?';
  const context = 'George Washington went to Washington to meet the president of the United Nations.';
  const a = await qa(question, context);
  assert.deepEqual(Object.keys(a), ['answer', 'score', 'start', 'end']);
  assert.deepEqual(await qa({ question, context }), a);
  const batch = await qa([{ question, context }, { question: 'Where did George Washington go?', context }]);
  assert.equal(batch.length, 2);
  assert.deepEqual(batch[0], a);
  assert.deepEqual(await qa([question, question], context), [a, a]);
  const top = await qa(question, context, { top_k: 3 });
  assert.equal(top.length, 3);
  assert.deepEqual(top[0], a);
  for (let k = 1; k < 3; k++) assert.ok(top[k - 1].score >= top[k].score);
  for (const x of top) assert.equal(x.answer, context.slice(x.start, x.end));
  // The empty answer scores p_start[CLS] · p_end[CLS] (softmax over [CLS] and the context).
  const [[w]] = (await qa.logits([{ question, context }], qa.settings({}))).logits;
  const cls = (/** @type {Float32Array} */ x) => {
    const keep = Array.from(x).filter((_, i) => i === 0 || w.encoding.sequence_ids[i] === 1);
    const m = Math.max(...keep);
    return Math.exp(x[0] - m) / keep.reduce((acc, v) => acc + Math.exp(v - m), 0);
  };
  const all = await qa(question, context, { handle_impossible_answer: true, top_k: 1000 });
  // (Spans starting at [CLS] score 0, as in Hugging Face; the empty answer is the one scoring > 0.)
  const empty = all.filter((/** @type {any} */ x) => x.answer === '' && x.score > 0);
  assert.equal(empty.length, 1);
  assert.deepEqual([empty[0].start, empty[0].end], [0, 0]);
  assert.ok(Math.abs(empty[0].score - cls(w.start) * cls(w.end)) <= 1e-6 * Math.max(1, empty[0].score));
  // Aligned answers start and end on word boundaries of the context.
  for (const x of await qa(question, context, { top_k: 10 })) {
    assert.ok(x.start === 0 || /\W/.test(context[x.start - 1]) || /\W/.test(context[x.start]));
  }
  const withOutputs = await qa(question, context, { output_attentions: true });
  assert.equal(withOutputs.attentions.dims[1], 1, 'one window');
});

test('question-answering: errors', { skip: SKIP_REASON }, async () => {
  await assert.rejects(qa('Who?'), /context must be a string, got undefined/);
  await assert.rejects(qa('Who?', ''), /context is empty/);
  await assert.rejects(qa({ question: 1, context: 'x' }), /question must be a string, got number/);
  await assert.rejects(qa([]), /empty batch/);
  await assert.rejects(qa(['a', 'b'], ['c']), /2 questions need one context or 2 contexts/);
  await assert.rejects(qa('Who?', 'x', { doc_stride: 300, max_seq_len: 256 }), /doc_stride \(300\) must be smaller than max_seq_len/);
  await assert.rejects(qa('Who?', 'x', { max_answer_len: 0 }), /max_answer_len must be a positive integer/);
});
