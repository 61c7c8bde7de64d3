// Concurrency: many calls in flight at once must give exactly the results of the same calls made
// one after another, on one model, on several models at once and through the worker client; a
// disposed model must reject its calls with a clear error without disturbing the others; a
// worker terminated mid-inference must reject every pending call, and a new worker must work.
//
// In-flight calls interleave for real: every call first waits a pseudo-random 0–4 ms timer, and
// multi-step calls wait again between their steps, so pipelines, explain() and raw model calls of
// different calls alternate on the engine. The sequential results are themselves checked against
// Hugging Face's references (SST-2 dev scores, the CoNLL NER pipeline, the SQuAD logits).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { BertologyError, BertologyModel, createWorkerClient, pipeline } from '../../js/index.js';
import { EXPLAIN_METHODS } from '../../js/explain/index.js';
import { readTensors } from './helpers/safetensors.js';
import { maxAbsDiff } from './helpers/compare.js';
import { SKIP_REASON, readSharedJson, sharedPath } from './helpers/shared.js';
// mulberry32 (the benchmark's seeded PRNG): deterministic delays, so a failure replays the same interleaving.
import { rng } from '../../bench/lib/common.mjs';

const skip = SKIP_REASON;
const WORKER_URL = new URL('../../js/worker.js', import.meta.url);
const THREADS = 2;
const TOL = 1e-4;

const sleep = (/** @type {number} */ ms) => new Promise((ok) => setTimeout(ok, ms));

/**
 * Runs `calls` one by one, then all at once (each after a pseudo-random 0–4 ms delay; `pause`
 * gives multi-step calls a delay between steps). Returns both result lists and how many calls
 * were in flight at most (started, not finished).
 * @param {((pause: () => Promise<void>) => Promise<any>)[]} calls
 * @param {number} seed
 */
async function sequentialAndConcurrent(calls, seed) {
  const sequential = [];
  for (const call of calls) sequential.push(await call(async () => {}));
  const random = rng(seed);
  const pause = () => sleep(Math.floor(random() * 5));
  let inFlight = 0, maxInFlight = 0;
  const concurrent = await Promise.all(calls.map(async (call) => {
    await pause();
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    try {
      return await call(pause);
    } finally {
      inFlight--;
    }
  }));
  return { sequential, concurrent, maxInFlight };
}

/** @param {any} e @param {string} code @param {RegExp} message */
const isError = (e, code, message) => e instanceof BertologyError && e.code === code && message.test(e.message);

// References
/** @type {any} */ let sst2Ref;
/** @type {any} */ let nerRef;
/** @type {any} */ let squadRef;
/** @type {any} */ let squadLogits;

/**
 * Sentiment results (top_k null) of SST-2 dev sentences `idx` against Hugging Face's pipeline scores.
 * @param {any[][]} got @param {number[]} idx
 */
function assertSst2(got, idx) {
  assert.equal(got.length, idx.length);
  got.forEach((scores, k) => {
    const want = sst2Ref.outputs[idx[k]];
    assert.deepEqual(scores.map((s) => s.label), want.map((/** @type {any} */ s) => s.label), `sentence ${idx[k]}`);
    scores.forEach((s, j) => assert.ok(Math.abs(s.score - want[j].score) <= TOL, `sentence ${idx[k]}: ${s.score} vs ${want[j].score}`));
  });
}

/** NER results of reference texts `idx` with `strategy` against Hugging Face's pipeline. */
function assertNer(/** @type {any[][]} */ got, /** @type {number[]} */ idx, /** @type {string} */ strategy) {
  got.forEach((entities, k) => {
    const want = nerRef.outputs[strategy][idx[k]];
    const strip = (/** @type {any[]} */ list) => list.map(({ score, ...rest }) => rest);
    assert.deepEqual(strip(entities), strip(want), `text ${idx[k]} (${strategy})`);
    entities.forEach((e, j) => assert.ok(Math.abs(e.score - want[j].score) <= TOL));
  });
}

before(() => {
  if (skip) return;
  sst2Ref = readSharedJson('reference', 'bert-mini-sst2.sst2-dev.json');
  nerRef = readSharedJson('reference', 'bert-mini-conll03.ner.json');
  squadRef = readSharedJson('reference', 'bert-mini-squad.json');
  squadLogits = readTensors(sharedPath('reference', 'bert-mini-squad.safetensors'));
});

describe('in-process models', { skip, timeout: 180_000 }, () => {
  /** @type {any} */ let sentiment;
  /** @type {any} */ let features;
  /** @type {any} */ let ner;
  /** @type {any} */ let qa;
  /** @type {BertologyModel} */ let sst2Model;

  before(async () => {
    // three models loaded concurrently into the same runtime
    [sst2Model, ner, qa] = await Promise.all([
      BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { threads: THREADS }),
      pipeline('ner', sharedPath('models', 'bert-mini-conll03'), { threads: THREADS }),
      pipeline('question-answering', sharedPath('models', 'bert-mini-squad'), { threads: THREADS }),
    ]);
    sentiment = await pipeline('sentiment-analysis', sst2Model);
    features = await pipeline('feature-extraction', sst2Model);
  });
  after(async () => {
    await ner?.dispose();
    await qa?.dispose();
    sst2Model?.dispose();
  });

  test('one model: 40 calls in flight give the results of the same 40 calls made one by one', async (t) => {
    /** @type {((pause: () => Promise<void>) => Promise<any>)[]} */
    const calls = [];
    /** @type {{index: number, idx: number[]}[]} */
    const checked = [];
    for (let i = 0; i < 40; i++) {
      const base = (i * 7) % 800;
      const batch = 1 + (i % 8);
      const idx = Array.from({ length: batch }, (_, k) => base + 3 * k);
      const texts = idx.map((j) => sst2Ref.texts[j]);
      switch (i % 5) {
        case 0: // a batch, every label
          checked.push({ index: i, idx });
          calls.push(() => sentiment(texts, { top_k: null }));
          break;
        case 1: // one string, then its explanation (two steps)
          calls.push(async (pause) => {
            const label = await sentiment(texts[0]);
            await pause();
            const explanation = await sentiment.explain(texts[0], { method: EXPLAIN_METHODS.filter((m) => m !== 'occlusion' && m !== 'lime')[i % 4], steps: 4 });
            return { label, explanation };
          });
          break;
        case 2: // embeddings of the same model through another pipeline
          calls.push(async () => Array.from((await features(texts, { pooling: 'mean', normalize: true })).data));
          break;
        case 3: // raw model API between two awaits
          calls.push(async (pause) => {
            const out = sst2Model.forward(texts);
            await pause();
            return { logits: Array.from(out.logits.data), scores: sst2Model.classify(texts) };
          });
          break;
        default: // sentence pairs and top_k 1
          calls.push(() => sentiment(texts.map((text, k) => ({ text, text_pair: texts[(k + 1) % texts.length] }))));
      }
    }
    const { sequential, concurrent, maxInFlight } = await sequentialAndConcurrent(calls, 1);
    assert.ok(maxInFlight >= 5, `calls overlapped (at most ${maxInFlight} in flight)`);
    for (const { index, idx } of checked) assertSst2(sequential[index], idx);
    assert.equal(concurrent.length, 40);
    concurrent.forEach((r, i) => assert.deepStrictEqual(r, sequential[i], `call ${i}`));
    t.diagnostic(`40 calls, up to ${maxInFlight} in flight; ${checked.reduce((a, c) => a + c.idx.length, 0)} sentiment results checked against Hugging Face`);
  });

  test('three models at once (sst2 + ner + qa): interleaved calls equal sequential ones and the references', async (t) => {
    const strategies = ['none', 'simple', 'first', 'average', 'max'];
    /** @type {((pause: () => Promise<void>) => Promise<any>)[]} */
    const calls = [];
    /** @type {((r: any) => void)[]} */
    const checks = [];
    const qaTexts = squadRef.texts.length;
    for (let i = 0; i < 36; i++) {
      if (i % 3 === 0) {
        const idx = [i * 11 % 870, (i * 11 + 1) % 870];
        calls.push(() => sentiment(idx.map((j) => sst2Ref.texts[j]), { top_k: null }));
        checks.push((r) => assertSst2(r, idx));
      } else if (i % 3 === 1) {
        const idx = [i % nerRef.texts.length, (i + 5) % nerRef.texts.length, (i + 9) % nerRef.texts.length];
        const strategy = strategies[i % strategies.length];
        calls.push(() => ner(idx.map((j) => nerRef.texts[j]), { aggregation_strategy: strategy }));
        checks.push((r) => assertNer(r, idx, strategy));
      } else {
        const j = i % qaTexts;
        calls.push(async (pause) => {
          const answer = await qa(squadRef.texts[j], squadRef.pairs[j], { max_seq_len: 256, doc_stride: 64, top_k: 2 });
          await pause();
          const out = qa.model.forward([squadRef.texts[j]], { pairs: [squadRef.pairs[j]] });
          return { answer, start: Array.from(out.start_logits.data), end: Array.from(out.end_logits.data) };
        });
        checks.push((r) => {
          // the reference batch is padded to its longest row: compare this row's unpadded positions
          const seq = squadLogits.start_logits.shape[1];
          assert.equal(r.start.length, squadRef.tokens[j].filter((/** @type {string} */ x) => x !== '[PAD]').length);
          const row = (/** @type {any} */ x) => x.data.slice(j * seq, j * seq + r.start.length);
          assert.ok(maxAbsDiff(r.start, row(squadLogits.start_logits)) <= TOL, `start logits of question ${j}`);
          assert.ok(maxAbsDiff(r.end, row(squadLogits.end_logits)) <= TOL, `end logits of question ${j}`);
          assert.equal(r.answer.length, 2);
        });
      }
    }
    const { sequential, concurrent, maxInFlight } = await sequentialAndConcurrent(calls, 2);
    assert.ok(maxInFlight >= 3, `calls overlapped (at most ${maxInFlight} in flight)`);
    t.diagnostic(`36 calls on 3 models, up to ${maxInFlight} in flight`);
    sequential.forEach((r, i) => checks[i](r));
    concurrent.forEach((r, i) => assert.deepStrictEqual(r, sequential[i], `call ${i}`));
  });

  test('dispose(): later calls reject with DISPOSED, earlier and other models\' calls are unaffected', async () => {
    const texts = sst2Ref.texts.slice(0, 4);
    const own = await pipeline('sentiment-analysis', sharedPath('models', 'bert-mini-sst2'), { threads: THREADS });
    const before = await own(texts, { top_k: null });
    assertSst2(before, [0, 1, 2, 3]);
    const beforeFirst = await own(texts[0], { top_k: null });
    const beforeRest = await own(texts.slice(1), { top_k: null });
    const nerBefore = await ner(nerRef.texts.slice(0, 6), { aggregation_strategy: 'simple' });

    // calls issued before dispose() complete; calls after it reject
    const issued = [own(texts[0], { top_k: null }), own(texts.slice(1), { top_k: null })];
    const disposing = own.dispose();
    const late = own(texts[0]);
    const lateExplain = own.explain(texts[0], { method: 'grad_x_input' });
    const [r0, r1] = await Promise.all(issued);
    assert.deepStrictEqual(r0, beforeFirst);
    assert.deepStrictEqual(r1, beforeRest);
    await disposing;
    await assert.rejects(late, (e) => isError(e, 'DISPOSED', /after dispose/));
    await assert.rejects(lateExplain, (e) => isError(e, 'DISPOSED', /after dispose/));
    await own.dispose(); // twice is fine

    // a model disposed under a pipeline that does not own it, while other models' calls are in flight
    const model = await BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { threads: THREADS });
    const borrowed = await pipeline('sentiment-analysis', model);
    const random = rng(3);
    const inFlight = [];
    for (let i = 0; i < 12; i++) {
      inFlight.push((async () => {
        await sleep(Math.floor(random() * 6));
        return i % 2 ? ner(nerRef.texts.slice(0, 6), { aggregation_strategy: 'simple' }) : borrowed(texts, { top_k: null });
      })());
    }
    await sleep(2);
    model.dispose();
    const settled = await Promise.allSettled(inFlight);
    let rejected = 0, fulfilled = 0;
    settled.forEach((s, i) => {
      if (i % 2) {
        assert.equal(s.status, 'fulfilled', `ner call ${i}`);
        assert.deepStrictEqual(/** @type {any} */ (s).value, nerBefore, `ner call ${i}`);
      } else if (s.status === 'rejected') {
        rejected++;
        assert.ok(isError(s.reason, 'DISPOSED', /after dispose/), String(s.reason));
      } else {
        fulfilled++;
        assert.deepStrictEqual(s.value, before, `sentiment call ${i} (before dispose)`);
      }
    });
    assert.ok(rejected > 0 && fulfilled > 0, `sentiment calls before (${fulfilled}) and after (${rejected}) dispose()`);
    assert.throws(() => model.classify('x'), (e) => isError(e, 'DISPOSED', /after dispose/));
    assert.throws(() => model.forward(['x']), (e) => isError(e, 'DISPOSED', /after dispose/));
    await assert.rejects(borrowed.explain('x'), (e) => isError(e, 'DISPOSED', /after dispose/));
    model.dispose(); // twice is fine

    // the other models still give the reference results
    assertNer(await ner(nerRef.texts.slice(0, 6), { aggregation_strategy: 'simple' }), [0, 1, 2, 3, 4, 5], 'simple');
    assertSst2(await sentiment(texts, { top_k: null }), [0, 1, 2, 3]);
  });
});

describe('worker client', { skip, timeout: 180_000 }, () => {
  /** @type {any[][]} */ let expected;      // each text on its own (the shape of a single call)
  /** @type {any[][]} */ let expectedBatch; // all 40 in one call
  const texts = () => sst2Ref.texts.slice(100, 140);
  const long = () => sst2Ref.texts.slice(0, 200).join(' ');   // > 512 tokens: truncated to the limit

  before(async () => {
    const local = await BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { threads: THREADS });
    expected = texts().map((text) => local.classify(text, { top_k: null }));
    expectedBatch = local.classify(texts(), { top_k: null });
    local.dispose();
  });

  test('40 calls in flight through one worker equal the in-process results', async () => {
    const worker = new Worker(WORKER_URL);
    const client = createWorkerClient(worker);
    try {
      const model = await client.load(sharedPath('models', 'bert-mini-sst2'), { threads: THREADS });
      const classifier = await client.pipeline('sentiment-analysis', model);
      const random = rng(4);
      const all = texts();
      const results = await Promise.all(all.map(async (text, i) => {
        await sleep(Math.floor(random() * 5));
        return i % 2 ? model.classify(text, { top_k: null }) : classifier(text, { top_k: null });
      }));
      results.forEach((r, i) => assert.deepStrictEqual(r, expected[i], `text ${i}`));
      assertSst2(results, Array.from({ length: 40 }, (_, i) => 100 + i));
      // batch calls in flight together with single ones
      const [batchA, single, batchB] = await Promise.all([classifier(all, { top_k: null }), model.classify(all[3], { top_k: null }),
        model.classify(all, { top_k: null })]);
      assert.deepStrictEqual(batchA, expectedBatch);
      assert.deepStrictEqual(batchB, expectedBatch);
      assert.deepStrictEqual(single, expected[3]);
      // dispose in the worker: later calls reject with DISPOSED
      await classifier.dispose();
      await model.dispose();
      await assert.rejects(model.classify('x'), (e) => isError(e, 'DISPOSED', /disposed/));
      await assert.rejects(classifier('x'), (e) => isError(e, 'DISPOSED', /disposed/));
    } finally {
      await client.terminate();
    }
  });

  for (const how of ['client.terminate()', 'worker.terminate()']) {
    test(`${how} mid-inference rejects every pending call; a new worker works afterwards`, async () => {
      const worker = new Worker(WORKER_URL);
      const exited = new Promise((ok) => worker.once('exit', ok));
      const client = createWorkerClient(worker);
      const model = await client.load(sharedPath('models', 'bert-mini-sst2'), { threads: THREADS });
      assert.deepStrictEqual(await model.classify(texts()[0], { top_k: null }), expected[0]);
      // 8 × 512 tokens: seconds of engine work; more calls queue behind it
      const slow = model.classify(Array(8).fill(long()));
      const queued = [model.classify(texts()[1]), model.forward([texts()[2]]), model.invoke('tokenize', 'hello')];
      await sleep(300);  // the worker is inside the engine now
      const started = performance.now();
      if (how === 'client.terminate()') client.terminate();
      else worker.terminate();
      const reasons = await Promise.allSettled([slow, ...queued]);
      const ms = performance.now() - started;
      const pattern = how === 'client.terminate()' ? /worker error: terminated/ : /worker error: worker exited/;
      for (const r of reasons) {
        assert.equal(r.status, 'rejected');
        assert.ok(isError(/** @type {PromiseRejectedResult} */ (r).reason, 'WORKER', pattern), String(/** @type {any} */ (r).reason));
      }
      assert.ok(ms < 2000, `pending calls rejected ${ms.toFixed(0)} ms after terminate`);
      // the worker really stops (the engine call is interrupted), and the dead client refuses new calls
      const code = await Promise.race([exited, sleep(5000).then(() => 'still running')]);
      assert.equal(code, 1, `worker exit code ${code}`);
      await assert.rejects(model.classify('x'), (e) => isError(e, 'WORKER', /worker error/));
      await assert.rejects(client.load(sharedPath('models', 'bert-mini-sst2')), (e) => isError(e, 'WORKER', /worker error/));

      const fresh = createWorkerClient(new Worker(WORKER_URL));
      try {
        const again = await fresh.pipeline('sentiment-analysis', sharedPath('models', 'bert-mini-sst2'), { threads: THREADS });
        assert.deepStrictEqual(await again(texts(), { top_k: null }), expectedBatch);
      } finally {
        await fresh.terminate();
      }
    });
  }
});
