// pipeline() errors: unknown tasks, wrong heads, bad arguments; a failed pipeline() frees the model
// it loaded; pipelines over a caller's model leave it alone; use after dispose.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipeline, BertologyError, BertologyModel, TASKS } from '../../js/index.js';
import { SKIP_REASON, sharedPath } from './helpers/shared.js';

const model = (/** @type {string} */ name) => sharedPath('models', name);

/**
 * Runs `fn` while recording every model BertologyModel.load returns.
 * @param {() => Promise<unknown>} fn
 * @returns {Promise<{loaded: BertologyModel[], error: unknown}>}
 */
async function recordingLoads(fn) {
  const original = BertologyModel.load;
  /** @type {BertologyModel[]} */
  const loaded = [];
  BertologyModel.load = async (...args) => {
    const m = await original.apply(BertologyModel, args);
    loaded.push(m);
    return m;
  };
  try {
    await fn();
    return { loaded, error: null };
  } catch (error) {
    return { loaded, error };
  } finally {
    BertologyModel.load = original;
  }
}

test('pipeline: unknown task lists the known tasks; bad arguments', async () => {
  await assert.rejects(pipeline('summarization', 'x'), (e) => e instanceof BertologyError && e.code === 'INVALID_ARGUMENT'
    && /unknown task "summarization"; known tasks: text-classification, fill-mask, token-classification, question-answering, feature-extraction, zero-shot-classification, text-ranking, sentiment-analysis, ner, embeddings/.test(e.message));
  assert.deepEqual(TASKS.slice(-3), ['sentiment-analysis', 'ner', 'embeddings']);
  await assert.rejects(pipeline(/** @type {any} */ (undefined), 'x'), /task must be a string/);
  await assert.rejects(pipeline('ner', /** @type {any} */ (undefined)), /a model is required/);
  await assert.rejects(pipeline('ner', model('nope-not-here'), { threads: 1 }), BertologyError);
});

test('pipeline: a model with the wrong head is refused, named, and freed', { skip: SKIP_REASON }, async () => {
  const { loaded, error } = await recordingLoads(() => pipeline('fill-mask', model('bert-mini-sst2'), { threads: 1 }));
  assert.ok(error instanceof BertologyError);
  assert.match(/** @type {Error} */ (error).message,
    /pipeline\("fill-mask"\) needs a masked-LM model \(e\.g\. BertForMaskedLM\), but this bert model has a sequence-classification head \(use it with "text-classification" or "feature-extraction"\)/);
  assert.equal(loaded.length, 1);
  assert.throws(() => loaded[0].raw, (e) => e instanceof BertologyError && e.code === 'DISPOSED', 'the failed pipeline disposed its model');

  for (const [task, dir, head] of [['question-answering', 'bert-mini-conll03', 'token-classification'],
    ['ner', 'bert-mini-squad', 'question-answering'], ['sentiment-analysis', 'bert-mini-mlm', 'masked-lm']]) {
    await assert.rejects(pipeline(task, model(dir), { threads: 1 }), new RegExp(`has a ${head} head`));
  }
  // Any head can extract features.
  const fe = await pipeline('feature-extraction', model('bert-mini-squad'), { threads: 1 });
  assert.deepEqual((await fe('hello', { pooling: 'cls' })).dims, [1, 256]);
  await fe.dispose();
});

test('pipeline: over a loaded model, neither a failure nor dispose() frees it', { skip: SKIP_REASON }, async () => {
  const m = await BertologyModel.load(model('bert-mini-sst2'), { threads: 1 });
  try {
    await assert.rejects(pipeline('fill-mask', m), /sequence-classification head/);
    const pipe = await pipeline('text-classification', m);
    assert.equal(pipe.model, m);
    assert.equal(pipe.task, 'text-classification');
    assert.equal(typeof pipe, 'function');
    assert.equal(typeof pipe.call, 'function', 'pipelines keep Function.prototype (call/apply)');
    await pipe.dispose();
    assert.ok(m.info && m.raw, 'still usable');
    const again = await pipeline('sentiment-analysis', m, { top_k: null });
    assert.equal((await again('fine')).length, 2, 'task options in pipeline() become defaults');
  } finally {
    m.dispose();
  }
});

test('pipeline: bad inputs and use after dispose', { skip: SKIP_REASON }, async () => {
  const pipe = await pipeline('text-classification', model('bert-mini-sst2'), { threads: 1 });
  await assert.rejects(pipe(), /must be a string or \{text, text_pair\}, got undefined/);
  await assert.rejects(pipe(123), /must be a string or \{text, text_pair\}, got number/);
  await assert.rejects(pipe(['ok', 7]), /input 1 must be a string or \{text, text_pair\}, got number/);
  await assert.rejects(pipe([]), /empty batch/);
  await assert.rejects(pipe('ok', 'not options'), /options must be an object/);
  await assert.rejects(pipe('ok', { top_k: -1 }), /top_k must be a positive integer or null/);
  await assert.rejects(pipe('ok', { batch_size: 0 }), /batch_size must be a positive integer/);
  await assert.rejects(pipe({ input_ids: [[101, 102], [101]] }), /rows must be arrays of equal length/);
  await pipe.dispose();
  await assert.rejects(pipe('ok'), (e) => e instanceof BertologyError && e.code === 'DISPOSED');
  await pipe.dispose();
});
