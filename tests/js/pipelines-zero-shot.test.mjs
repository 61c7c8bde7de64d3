// zero-shot-classification against a direct computation: every (text, hypothesis) pair run alone
// through the engine (whose logits reproduce Hugging Face: parity tests), then Hugging Face's
// postprocess by hand — softmax of the entailment logits over the labels, or per label of
// [contradiction, entailment] — on BERT-mini SST-2 and tiny BERT / DistilBERT / ALBERT classifiers
// relabelled as NLI models. Also: engine calls per request = batches, 1,000 labels in bounded
// memory, Hugging Face's only_first truncation, label/template parsing and the bad-input errors.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BertologyModel, pipeline } from '../../js/index.js';
import { SKIP_REASON, sharedPath } from './helpers/shared.js';
import { copyModel, setLabels, tempModels, tinyWithTokenizer } from './helpers/model-copies.js';

const TEXTS = ['I loved this film, the actors were wonderful.', 'The service was slow and the food was cold.',
  'Stocks fell sharply after the announcement.'];
const LABELS = ['cinema', 'restaurant', 'finance', 'sports', 'politics', 'weather', 'music'];

/** @type {ReturnType<typeof tempModels>} */
let tmp;
/** @type {Record<string, string>} directory of each NLI copy */
const dirs = {};
before(() => {
  if (SKIP_REASON) return;
  tmp = tempModels();
  dirs.mini = copyModel(sharedPath('models', 'bert-mini-sst2'), join(tmp.root, 'mini-nli'), (c) => setLabels(c, ['contradiction', 'entailment']));
  dirs.bert = tinyWithTokenizer('tiny-bert-bert-sequenceclassification', join(tmp.root, 'tiny-bert-nli'),
    (c) => setLabels(c, ['contradiction', 'neutral', 'entailment']));
  // Entailment first: Hugging Face then takes the last label as the contradiction.
  dirs.distilbert = tinyWithTokenizer('tiny-distilbert-distilbert-sequenceclassification', join(tmp.root, 'tiny-distilbert-nli'),
    (c) => setLabels(c, ['ENTAILMENT', 'neutral', 'contradiction']));
  dirs.albert = tinyWithTokenizer('tiny-albert-albert-sequenceclassification', join(tmp.root, 'tiny-albert-nli'),
    (c) => setLabels(c, ['entailment_label', 'not_entailment']));
});
after(() => tmp?.cleanup());

/** Logits of each (text, hypothesis) pair, each pair alone in its own forward pass. */
function pairLogits(/** @type {BertologyModel} */ model, /** @type {string} */ text, /** @type {string[]} */ hypotheses) {
  return hypotheses.map((h) => {
    const e = model.tokenize(text, h, {});
    // DistilBERT has no token types (Hugging Face does not pass them to it).
    const types = /** @type {any} */ (model.info).type_vocab_size > 0 ? [Array.from(e.type_ids)] : null;
    const out = model.forward({ input_ids: [Array.from(e.ids)], token_type_ids: types }, { output_last_hidden_state: false });
    return Array.from(/** @type {any} */ (out.logits).data);
  });
}

const softmax = (/** @type {number[]} */ x) => {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

/**
 * Hugging Face's postprocess by hand.
 * @param {number[][]} logits per label
 * @param {number} entail @param {number} contra @param {boolean} multi
 */
function expectedScores(logits, entail, contra, multi) {
  if (multi || logits.length === 1) return logits.map((l) => softmax([l[contra], l[entail]])[1]);
  return softmax(logits.map((l) => l[entail]));
}

/** Counts the engine's forward calls made through model.forwardEncodings. */
function countCalls(/** @type {any} */ pipe) {
  const original = pipe.model.forwardEncodings.bind(pipe.model);
  const counter = { calls: 0, rows: /** @type {number[]} */ ([]) };
  pipe.model.forwardEncodings = (/** @type {any[]} */ encodings, /** @type {any} */ o) => {
    counter.calls++;
    counter.rows.push(encodings.length);
    return original(encodings, o);
  };
  return counter;
}

const MODELS = [['mini', 1, 0], ['bert', 2, 0], ['distilbert', 0, 2], ['albert', 0, 1]];

for (const [name, entail, contra] of MODELS) {
  test(`zero-shot (${name}): scores equal Hugging Face's postprocess of the pair logits, single and multi-label`, { skip: SKIP_REASON }, async (t) => {
    const classifier = await pipeline('zero-shot-classification', dirs[name], { threads: 1 });
    try {
      const calls = countCalls(classifier);
      let maxDiff = 0;
      for (const multi of [false, true]) {
        const out = await classifier(TEXTS, LABELS, { multi_label: multi, batch_size: 4 });
        assert.equal(out.length, TEXTS.length);
        TEXTS.forEach((text, i) => {
          const r = out[i];
          assert.deepEqual(Object.keys(r), ['sequence', 'labels', 'scores']);
          assert.equal(r.sequence, text);
          assert.deepEqual([...r.labels].sort(), [...LABELS].sort());
          for (let k = 1; k < r.scores.length; k++) assert.ok(r.scores[k - 1] >= r.scores[k], 'sorted');
          const logits = pairLogits(classifier.model, text, LABELS.map((l) => `This example is ${l}.`));
          const expected = expectedScores(logits, /** @type {number} */ (entail), /** @type {number} */ (contra), multi);
          r.labels.forEach((/** @type {string} */ label, /** @type {number} */ k) => {
            maxDiff = Math.max(maxDiff, Math.abs(r.scores[k] - expected[LABELS.indexOf(label)]));
          });
          if (!multi) assert.ok(Math.abs(r.scores.reduce((a, b) => a + b, 0) - 1) < 1e-9);
        });
      }
      // 3 texts × 7 labels = 21 pairs in batches of 4: 6 engine calls per request, not 21.
      assert.deepEqual(calls.rows, [4, 4, 4, 4, 4, 1, 4, 4, 4, 4, 4, 1]);
      const perRequest = calls.calls / 2;
      const one = await classifier(TEXTS[0], { candidate_labels: 'cinema', hypothesis_template: 'The topic is {}.' });
      const [l] = pairLogits(classifier.model, TEXTS[0], ['The topic is cinema.']);
      maxDiff = Math.max(maxDiff, Math.abs(one.scores[0] - softmax([l[/** @type {number} */ (contra)], l[/** @type {number} */ (entail)]])[1]));
      t.diagnostic(`max |score - hand computation| = ${maxDiff.toExponential(2)}; 21 pairs → ${perRequest} engine calls per request`);
      assert.ok(maxDiff <= 1e-6, `max diff ${maxDiff}`);
    } finally {
      await classifier.dispose();
    }
  });
}

test('zero-shot: labels as a comma-separated string, templates with {} and braces, one call for a small request', { skip: SKIP_REASON }, async () => {
  const classifier = await pipeline('zero-shot-classification', dirs.mini, { threads: 1 });
  try {
    const calls = countCalls(classifier);
    const a = await classifier(TEXTS[0], ' cinema, finance ,, sports ');
    assert.deepEqual([...a.labels].sort(), ['cinema', 'finance', 'sports']);
    assert.equal(calls.calls, 1);
    const b = await classifier(TEXTS[0], ['cinema', 'finance', 'sports']);
    assert.deepEqual(a, b);
    const c = await classifier(TEXTS[0], ['cinema', 'finance'], { hypothesis_template: '{{Topic}}: {}' });
    const logits = pairLogits(classifier.model, TEXTS[0], ['{Topic}: cinema', '{Topic}: finance']);
    const expected = softmax(logits.map((l) => l[1]));
    assert.ok(Math.abs(c.scores[c.labels.indexOf('cinema')] - expected[0]) < 1e-6);
    // A batch of texts gives one result per text; a single text gives the result itself.
    assert.ok(Array.isArray(await classifier([TEXTS[0]], 'cinema')));
  } finally {
    await classifier.dispose();
  }
});

test('zero-shot: only_first truncation keeps the hypothesis whole; metadata reports it', { skip: SKIP_REASON }, async () => {
  const classifier = await pipeline('zero-shot-classification', dirs.mini, { threads: 1 });
  try {
    const long = `${'the plot drags and the ending is weak . '.repeat(80)}but the music is great.`;
    const r = await classifier(long, ['music', 'plot']);
    assert.deepEqual(Object.keys(r), ['sequence', 'labels', 'scores']);
    assert.equal(r.metadata.truncated, true);
    assert.equal(r.metadata.max_length, 512);
    assert.ok(r.metadata.tokens > 512);
    const model = classifier.model;
    const logits = ['This example is music.', 'This example is plot.'].map((h) => {
      const full = model.tokenize(long, h, {});
      const ids = Array.from(full.ids);
      const types = Array.from(full.type_ids);
      const firstEnd = Array.from(full.sequence_ids).lastIndexOf(0) + 1;
      const excess = ids.length - 512;
      ids.splice(firstEnd - excess, excess);
      types.splice(firstEnd - excess, excess);
      assert.equal(ids.length, 512);
      return Array.from(/** @type {any} */ (model.forward({ input_ids: [ids], token_type_ids: [types] }, { output_last_hidden_state: false }).logits).data);
    });
    const expected = softmax(logits.map((l) => l[1]));
    assert.ok(Math.abs(r.scores[r.labels.indexOf('music')] - expected[0]) < 1e-6);
    const shown = await classifier(TEXTS[0], ['music'], { return_metadata: true });
    assert.deepEqual(Object.keys(shown), ['sequence', 'labels', 'scores', 'metadata']);
    assert.equal(shown.metadata.truncated, false);
  } finally {
    await classifier.dispose();
  }
});

test('zero-shot: 1,000 candidate labels run in batches with bounded memory', { skip: SKIP_REASON }, async (t) => {
  const classifier = await pipeline('zero-shot-classification', dirs.bert, { threads: 1 });
  try {
    const labels = Array.from({ length: 1000 }, (_, i) => `topic number ${i}`);
    await classifier(TEXTS[0], labels.slice(-64)); // two full batches of the longest hypotheses: the workspace reaches its size
    const heap = classifier.model.memoryUsage().heap_size;
    const calls = countCalls(classifier);
    const r = await classifier(TEXTS[0], labels);
    assert.equal(r.labels.length, 1000);
    assert.equal(new Set(r.labels).size, 1000);
    assert.ok(Math.abs(r.scores.reduce((/** @type {number} */ a, /** @type {number} */ b) => a + b, 0) - 1) < 1e-9);
    assert.equal(calls.calls, Math.ceil(1000 / 32));
    const grown = classifier.model.memoryUsage().heap_size - heap;
    t.diagnostic(`1,000 labels: ${calls.calls} engine calls of ≤ 32 pairs; wasm heap grew by ${grown} bytes`);
    assert.equal(grown, 0, 'the wasm heap does not grow with the number of labels');
  } finally {
    await classifier.dispose();
  }
});

test('zero-shot: bad input gives clear errors', { skip: SKIP_REASON }, async () => {
  const classifier = await pipeline('zero-shot-classification', dirs.mini, { threads: 1 });
  try {
    /** @param {Promise<any>} p @param {RegExp} re */
    const fails = async (p, re) => assert.rejects(p, (/** @type {any} */ e) => e.code === 'INVALID_ARGUMENT' && re.test(e.message));
    await fails(classifier('text', []), /at least one label/);
    await fails(classifier('text', ''), /at least one label/);
    await fails(classifier('text', ' , ,'), /at least one label/);
    await fails(classifier('text'), /candidate_labels must be/);
    await fails(classifier('text', ['a'], { hypothesis_template: '' }), /hypothesis_template must be a non-empty string/);
    await fails(classifier('text', ['a'], { hypothesis_template: 'This is a label.' }), /has no \{\} where the label goes/);
    await fails(classifier([], ['a']), /at least one sequence/);
    await fails(classifier([1], ['a']), /expected a text/);
    await fails(classifier('text', ['a'], { multi_label: 'yes' }), /multi_label/);
    await fails(classifier('text', [1]), /candidate_labels must be/);
    await fails(classifier('text', ['a'], { top_k: 1 }), /unknown option "top_k"/);
  } finally {
    await classifier.dispose();
  }
  const plain = await pipeline('zero-shot-classification', sharedPath('models', 'bert-mini-sst2'), { threads: 1 });
  try {
    await assert.rejects(plain('text', ['a']), (/** @type {any} */ e) => e.code === 'INVALID_ARGUMENT'
      && /labels \(NEGATIVE, POSITIVE\) have no entailment label/.test(e.message));
  } finally {
    await plain.dispose();
  }
  await assert.rejects(pipeline('zero-shot-classification', sharedPath('models', 'bert-mini-conll03')),
    (/** @type {any} */ e) => e.code === 'INVALID_ARGUMENT' && /NLI sequence-classification model/.test(e.message));
});
