// token-classification pipeline against Hugging Face's TokenClassificationPipeline on 26 texts
// (bert-mini-conll03 reference) for all five aggregation strategies, plus ignore_labels, JS string
// offsets for text with astral characters, and input errors.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pipeline } from '../../js/index.js';
import { SKIP_REASON, readSharedJson, sharedPath } from './helpers/shared.js';

const STRATEGIES = ['none', 'simple', 'first', 'average', 'max'];

/** @type {any} */
let ner;
before(async () => {
  if (!SKIP_REASON) ner = await pipeline('ner', sharedPath('models', 'bert-mini-conll03'), { threads: 2 });
});
after(async () => { await ner?.dispose(); });

for (const strategy of STRATEGIES) {
  test(`ner: aggregation_strategy "${strategy}" reproduces the reference`, { skip: SKIP_REASON }, async (t) => {
    const ref = readSharedJson('reference', 'bert-mini-conll03.ner.json');
    const out = await ner(ref.texts, { aggregation_strategy: strategy });
    assert.equal(out.length, ref.texts.length);
    let maxDiff = 0;
    let count = 0;
    out.forEach((/** @type {any[]} */ got, /** @type {number} */ i) => {
      const want = ref.outputs[strategy][i];
      const strip = (/** @type {any[]} */ list) => list.map(({ score, ...rest }) => rest);
      assert.deepEqual(strip(got), strip(want), `text ${i}: "${ref.texts[i]}"`);
      got.forEach((e, k) => { maxDiff = Math.max(maxDiff, Math.abs(e.score - want[k].score)); });
      count += got.length;
    });
    t.diagnostic(`${count} entities agree; max |score - reference| = ${maxDiff.toExponential(2)}`);
    assert.ok(maxDiff <= 1e-4);
  });
}

test('ner: result keys, ignore_labels and one-string input', { skip: SKIP_REASON }, async () => {
  const text = 'George Washington went to Washington to meet the president of the United Nations.';
  const tokens = await ner(text);
  assert.deepEqual(Object.keys(tokens[0]), ['entity', 'score', 'index', 'word', 'start', 'end']);
  const groups = await ner(text, { aggregation_strategy: 'simple' });
  assert.deepEqual(Object.keys(groups[0]), ['entity_group', 'score', 'word', 'start', 'end']);
  for (const g of groups) assert.equal(text.slice(g.start, g.end).toLowerCase(), g.word);
  const all = await ner(text, { ignore_labels: [] });
  assert.ok(all.some((/** @type {any} */ e) => e.entity === 'O'), 'with no ignored labels the O tokens are kept');
  assert.equal(all.length, ner.tokenizer.encode(text).input_ids.length - 2);
  const noLoc = await ner(text, { aggregation_strategy: 'simple', ignore_labels: ['O', 'LOC'] });
  assert.ok(noLoc.every((/** @type {any} */ g) => g.entity_group !== 'LOC'));
});

test('ner: start/end are JS string indices when the text has astral characters', { skip: SKIP_REASON }, async () => {
  const plain = 'George Washington went to Washington .';
  const astral = '😀 😀 George Washington went to Washington .';
  const shift = astral.length - plain.length; // 6 UTF-16 units (two emoji and two spaces)
  const a = await ner(plain, { aggregation_strategy: 'simple' });
  const b = await ner(astral, { aggregation_strategy: 'simple' });
  const words = b.filter((/** @type {any} */ g) => g.word !== '[UNK]');
  assert.ok(words.length >= 2);
  for (const g of words) assert.equal(astral.slice(g.start, g.end).toLowerCase(), g.word);
  assert.deepEqual(words.slice(-a.length).map((/** @type {any} */ g) => [g.start - shift, g.end - shift]),
    a.map((/** @type {any} */ g) => [g.start, g.end]));
});

test('ner: input and option errors', { skip: SKIP_REASON }, async () => {
  await assert.rejects(ner({ text: 'x' }), /expected a string or an array of strings, got an object/);
  await assert.rejects(ner([]), /empty batch/);
  await assert.rejects(ner('x', { aggregation_strategy: 'longest' }), /aggregation_strategy must be one of none, simple, first, average, max/);
  await assert.rejects(ner('x', { ignore_labels: 'O' }), /ignore_labels must be an array/);
});
