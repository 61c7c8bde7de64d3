// text-ranking (cross-encoders) against a direct computation: classifiers cut to one output (their
// single logit equals the original model's logit for that label, which the engine reproduces against
// Hugging Face) score each (query, document) pair alone; sentence-transformers' CrossEncoder.rank is
// then applied by hand — the configured activation (Sigmoid by default, never a softmax over one
// logit), sorted, top_k, return_documents. Also: engine calls = batches, text-classification on
// {text, text_pair} with the same model, and the errors.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BertologyModel, pipeline } from '../../js/index.js';
import { SKIP_REASON, sharedPath } from './helpers/shared.js';
import { oneOutputCopy, tempModels, tinyWithTokenizer } from './helpers/model-copies.js';

const QUERY = 'Who wrote the novel about the whale?';
const DOCS = ['Moby-Dick was written by Herman Melville and published in 1851.', 'The weather is lovely today.',
  'Herman Melville wrote about a whale hunt.', 'A great film with wonderful actors.', 'Stocks fell after the announcement.'];

/** @type {ReturnType<typeof tempModels>} */
let tmp;
/** @type {Record<string, string>} */
const dirs = {};
before(() => {
  if (SKIP_REASON) return;
  tmp = tempModels();
  dirs.mini = oneOutputCopy(sharedPath('models', 'bert-mini-sst2'), join(tmp.root, 'mini-ce'), 1);
  dirs.identity = oneOutputCopy(sharedPath('models', 'bert-mini-sst2'), join(tmp.root, 'mini-ce-identity'), 1,
    (c) => { c.sentence_transformers = { activation_fn: 'torch.nn.modules.linear.Identity', version: '4.0.0' }; });
  dirs.tanhOld = oneOutputCopy(sharedPath('models', 'bert-mini-sst2'), join(tmp.root, 'mini-ce-tanh'), 0,
    (c) => { c.sbert_ce_default_activation_function = 'torch.nn.modules.activation.Tanh'; });
  dirs.untrusted = oneOutputCopy(sharedPath('models', 'bert-mini-sst2'), join(tmp.root, 'mini-ce-custom'), 1,
    (c) => { c.sentence_transformers = { activation_fn: 'my_package.MyActivation' }; });
  dirs.unsupported = oneOutputCopy(sharedPath('models', 'bert-mini-sst2'), join(tmp.root, 'mini-ce-softsign'), 1,
    (c) => { c.sentence_transformers = { activation_fn: 'torch.nn.modules.activation.Softsign' }; });
  const tinyDir = tinyWithTokenizer('tiny-bert-bert-sequenceclassification', join(tmp.root, 'tiny-bert-3'));
  dirs.tiny = oneOutputCopy(tinyDir, join(tmp.root, 'tiny-bert-ce'), 2);
  dirs.tiny3 = tinyDir;
});
after(() => tmp?.cleanup());

/** The original classifier's logit `row` for each (query, document) pair, each pair alone. */
async function originalLogits(/** @type {string} */ dir, /** @type {number} */ row, /** @type {string[]} */ docs) {
  const model = await BertologyModel.load(dir, { threads: 1 });
  try {
    return docs.map((d) => {
      const e = model.tokenize(QUERY, d, { truncation: true });
      const out = model.forward({ input_ids: [Array.from(e.ids)], token_type_ids: [Array.from(e.type_ids)] }, { output_last_hidden_state: false });
      return /** @type {any} */ (out.logits).data[row];
    });
  } finally {
    model.dispose();
  }
}

const sigmoid = (/** @type {number} */ x) => 1 / (1 + Math.exp(-x));

/** Counts the engine's forward calls. */
function countCalls(/** @type {any} */ pipe) {
  const original = pipe.model.forwardEncodings.bind(pipe.model);
  const counter = { calls: 0 };
  pipe.model.forwardEncodings = (/** @type {any[]} */ e, /** @type {any} */ o) => { counter.calls++; return original(e, o); };
  return counter;
}

for (const [name, source, row, activation] of [['bert-mini-sst2 → 1 output', 'mini', 1, sigmoid], ['tiny BERT → 1 output', 'tiny', 2, sigmoid],
  ['Identity (sentence_transformers.activation_fn)', 'identity', 1, (/** @type {number} */ x) => x],
  ['Tanh (sbert_ce_default_activation_function)', 'tanhOld', 0, Math.tanh],
  ['an untrusted activation path falls back to Sigmoid', 'untrusted', 1, sigmoid]]) {
  test(`text-ranking (${name}): CrossEncoder.rank of the pair logits`, { skip: SKIP_REASON }, async (t) => {
    const from = source === 'tiny' ? dirs.tiny3 : sharedPath('models', 'bert-mini-sst2');
    const logits = await originalLogits(from, /** @type {number} */ (row), DOCS);
    const act = /** @type {(x: number) => number} */ (activation);
    const expected = DOCS.map((text, i) => ({ corpus_id: i, score: act(logits[i]), text })).sort((a, b) => b.score - a.score);
    const ranker = await pipeline('text-ranking', dirs[/** @type {string} */ (source)], { threads: 1 });
    try {
      const calls = countCalls(ranker);
      const hits = await ranker(QUERY, DOCS, { return_documents: true, batch_size: 2 });
      assert.equal(calls.calls, 3, '5 pairs in batches of 2');
      assert.deepEqual(hits.map((/** @type {any} */ h) => h.corpus_id), expected.map((e) => e.corpus_id));
      let maxDiff = 0;
      hits.forEach((/** @type {any} */ h, /** @type {number} */ k) => {
        assert.deepEqual(Object.keys(h), ['corpus_id', 'score', 'text']);
        assert.equal(h.text, DOCS[h.corpus_id]);
        maxDiff = Math.max(maxDiff, Math.abs(h.score - expected[k].score));
      });
      assert.ok(maxDiff <= 1e-6, `max diff ${maxDiff}`);
      assert.equal(new Set(hits.map((/** @type {any} */ h) => h.score)).size, DOCS.length, 'distinct scores (not all 1.0)');
      const top = await ranker(QUERY, DOCS, { top_k: 2 });
      assert.deepEqual(top, expected.slice(0, 2).map(({ corpus_id, score }) => ({ corpus_id, score: hits.find((/** @type {any} */ h) => h.corpus_id === corpus_id).score })));
      t.diagnostic(`max |score - hand computation| = ${maxDiff.toExponential(2)}; scores ${hits.map((/** @type {any} */ h) => h.score.toFixed(4)).join(', ')}`);
    } finally {
      await ranker.dispose();
    }
  });
}

test('text-ranking: text-classification on {text, text_pair} gives the sigmoid of the same logit; activation_fn option', { skip: SKIP_REASON }, async () => {
  const classifier = await pipeline('text-classification', dirs.mini, { threads: 1 });
  const ranker = await pipeline('text-ranking', dirs.mini, { threads: 1 });
  try {
    const pairs = DOCS.map((d) => ({ text: QUERY, text_pair: d }));
    const scores = (await classifier(pairs)).map((/** @type {any} */ r) => r.score);
    const hits = await ranker(QUERY, DOCS);
    for (const h of hits) assert.ok(Math.abs(h.score - scores[h.corpus_id]) < 1e-9);
    const raw = await ranker(QUERY, DOCS, { activation_fn: 'identity' });
    for (const h of raw) assert.ok(Math.abs(sigmoid(h.score) - scores[h.corpus_id]) < 1e-6);
    assert.deepEqual(await ranker(QUERY, []), []);
    const long = await ranker(QUERY, ['word '.repeat(700)], { return_metadata: true });
    assert.deepEqual(Object.keys(long[0]), ['corpus_id', 'score', 'metadata']);
    assert.equal(long[0].metadata.truncated, true);
  } finally {
    await classifier.dispose();
    await ranker.dispose();
  }
});

test('text-ranking: errors', { skip: SKIP_REASON }, async () => {
  const ranker = await pipeline('text-ranking', dirs.mini, { threads: 1 });
  try {
    /** @param {Promise<any>} p @param {RegExp} re */
    const fails = (p, re) => assert.rejects(p, (/** @type {any} */ e) => e.code === 'INVALID_ARGUMENT' && re.test(e.message));
    await fails(ranker(['q'], DOCS), /query must be a string/);
    await fails(ranker('q', 'doc'), /documents must be an array of strings/);
    await fails(ranker('q', [1]), /documents must be an array of strings/);
    await fails(ranker('q', DOCS, { top_k: 0 }), /top_k/);
    await fails(ranker('q', DOCS, { activation_fn: 'softmax' }), /activation_fn must be one of/);
  } finally {
    await ranker.dispose();
  }
  const three = await pipeline('text-ranking', dirs.tiny3, { threads: 1 });
  try {
    await assert.rejects(three('q', DOCS), /one output \(num_labels 1\); this model has 3 labels/);
  } finally {
    await three.dispose();
  }
  const odd = await pipeline('text-ranking', dirs.unsupported, { threads: 1 });
  try {
    await assert.rejects(odd('q', DOCS), /Softsign \(config\.json\) is not supported/);
  } finally {
    await odd.dispose();
  }
});
