// classify(): Hugging Face's text-classification pipeline output (all labels, sorted by score)
// on SST-2 dev, the single-text / array forms, and sigmoid scores for multi-label models.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BertologyError, BertologyModel } from '../../js/index.js';
import { SKIP_REASON, readModelFiles, readSharedJson, sharedPath } from './helpers/shared.js';

/** @type {BertologyModel} */
let sst2;
before(async () => {
  if (!SKIP_REASON) sst2 = await BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { threads: 2 });
});
after(() => sst2?.dispose());

test('classify: SST-2 dev scores match the pipeline reference (all labels, sorted)', { skip: SKIP_REASON }, (t) => {
  const ref = readSharedJson('reference', 'bert-mini-sst2.sst2-dev.json');
  const results = /** @type {{label: string, score: number}[][]} */ (sst2.classify(ref.texts));
  assert.equal(results.length, ref.outputs.length);
  let maxDiff = 0;
  results.forEach((list, i) => {
    assert.deepEqual(list.map((x) => x.label), ref.outputs[i].map((/** @type {any} */ x) => x.label), `text ${i}: label order`);
    list.forEach((x, k) => { maxDiff = Math.max(maxDiff, Math.abs(x.score - ref.outputs[i][k].score)); });
  });
  t.diagnostic(`${results.length} texts; max |score - reference| = ${maxDiff.toExponential(2)}`);
  assert.ok(maxDiff <= 1e-4);
});

test('classify: one text gives one list; top_k keeps the best', { skip: SKIP_REASON }, () => {
  const one = /** @type {{label: string, score: number}[]} */ (sst2.classify('a wonderful , moving film .'));
  assert.equal(one.length, 2);
  assert.equal(one[0].label, 'POSITIVE');
  assert.ok(Math.abs(one[0].score + one[1].score - 1) < 1e-6);
  const top = /** @type {any[][]} */ (sst2.classify(['dull', 'great'], { top_k: 1 }));
  assert.deepEqual(top.map((r) => r.length), [1, 1]);
});

test('classify: multi-label models get sigmoid scores', { skip: SKIP_REASON }, async () => {
  const dir = sharedPath('models', 'tiny', 'tiny-bert-bert-sequenceclassification');
  const files = readModelFiles(dir, ['config.json', 'model.safetensors']);
  const config = JSON.parse(new TextDecoder().decode(files['config.json']));
  config.problem_type = 'multi_label_classification';
  const model = await BertologyModel.load({
    ...files, 'config.json': JSON.stringify(config),
    ...readModelFiles(sharedPath('tokenizers', 'bert-base-uncased'), ['tokenizer.json']),
  }, { threads: 1 });
  try {
    const logits = model.forward('! !').logits?.data ?? new Float32Array();
    const scores = /** @type {{label: string, score: number}[]} */ (model.classify('! !'));
    for (const { label, score } of scores) {
      const k = Number(label.replace('LABEL_', ''));
      assert.ok(Math.abs(score - 1 / (1 + Math.exp(-logits[k]))) < 1e-7, label);
    }
    assert.ok(Math.abs(scores.reduce((a, x) => a + x.score, 0) - 1) > 1e-3, 'sigmoid scores need not sum to 1');
  } finally {
    model.dispose();
  }
});

test('classify: refuses models without a sequence-classification head', { skip: SKIP_REASON }, async () => {
  const mlm = await BertologyModel.load(sharedPath('models', 'bert-mini-mlm'), { threads: 2 });
  try {
    assert.throws(() => mlm.classify('hi'), (e) => e instanceof BertologyError && /masked_lm/.test(e.message));
    assert.equal(mlm.decode(mlm.tokenize('Hello, world!').ids, { skip_special_tokens: true }), 'hello, world!');
    assert.equal(mlm.tokenToId('[MASK]'), 103);
    assert.equal(mlm.idToToken(103), '[MASK]');
  } finally {
    mlm.dispose();
  }
});
