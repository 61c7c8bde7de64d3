// Explanations that yield (js/explain/index.js over the engine's ExplainSession, src/explain/session.h):
// a stepwise run is bitwise the engine's one-call Explainer.explain for every method, any split of the
// batches and 1 or 2 threads; pipe.explain reports monotonic progress per batch, stops with an AbortError
// when its signal fires and with DISPOSED when the model is disposed half-way, leaving the model exact
// and the wasm heap at its baseline; the worker entry forwards progress and the signal.
// Oracle for "exact": the engine's own one-call path (which tests/native/test_explain_*.cc check against
// finite differences, completeness and occlusion) and the model's outputs before the interrupted call.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { BertologyModel, createWorkerClient, env, pipeline } from '../../js/index.js';
import { groupWords } from '../../js/explain/words.js';
import { resolveTarget } from '../../js/explain/targets.js';
import { SKIP_REASON, sharedPath } from './helpers/shared.js';

const skip = SKIP_REASON;
const TEXT = 'the acting is wooden and the plot is a mess , but the score is lovely .';
const METHODS = ['grad_x_input', 'integrated_gradients', 'occlusion', 'lime', 'attention_rollout', 'gradient_weighted_rollout'];

/** @type {BertologyModel} */
let model;
/** @type {any} */
let engine;
before(async () => {
  if (skip) return;
  model = await BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { threads: 2 });
  engine = /** @type {any} */ (model.runtime).module;
});
after(() => model?.dispose());

/** @param {ArrayLike<number>} a @param {ArrayLike<number>} b */
function sameBits(a, b) {
  const x = Float64Array.from(a), y = Float64Array.from(b);
  return x.length === y.length && Buffer.from(x.buffer).equals(Buffer.from(y.buffer));
}

/** @param {any} a the engine's one-call result @param {any} b @param {string} what */
function assertSameExplanation(a, b, what) {
  assert.ok(sameBits(a.tokens, b.tokens), `${what}: tokens`);
  assert.ok(sameBits(a.words, b.words), `${what}: words`);
  for (const k of ['baseline_value', 'delta', 'completeness_gap', 'forward_sequences', 'backward_sequences']) {
    assert.ok(Object.is(a[k], b[k]), `${what}: ${k} ${a[k]} vs ${b[k]}`);
  }
  assert.ok(Object.is(a.prediction.value, b.prediction.value), `${what}: prediction`);
}

/** The request explain() sends for `options` (js/explain/index.js), with its encoding and words. */
function engineRequest(/** @type {any} */ options) {
  const encoding = model.tokenize(TEXT, null, { truncation: true });
  const { wordOfToken, words } = groupWords(encoding, [TEXT]);
  const target = resolveTarget(model, 'text-classification', encoding, wordOfToken, words, options);
  const json = JSON.stringify({
    method: options.method, output: 'probability', steps: options.steps, samples: options.samples, seed: options.seed,
    integration: options.integration, baseline_id: model.info.pad_token_id, max_batch_tokens: options.batch_tokens,
    target: target.index, position: target.position,
  });
  return { ids: encoding.ids, typeIds: encoding.type_ids, words: wordOfToken, json, seq: encoding.ids.length };
}

test('ExplainSession: advancing 1, 2 or 5 batches at a time is bitwise the one call, every method, 1 and 2 threads', { skip }, () => {
  const explainer = new engine.Explainer(model.raw);
  const seq = model.tokenize(TEXT, null, { truncation: true }).ids.length;
  try {
    for (const threads of [1, 2]) {
      assert.equal(engine.setNumThreads(threads), threads);
      for (const method of METHODS) {
        for (const integration of method === 'integrated_gradients' ? ['gausslegendre', 'riemann_trapezoid'] : [undefined]) {
          const r = engineRequest({ method, integration, steps: 9, samples: 23, seed: 3, batch_tokens: 3 * seq });
          const whole = explainer.explain(r.ids, r.typeIds, r.words, r.json);
          assert.equal(whole.error, undefined, whole.error);
          for (const per of [1, 2, 5]) {
            const what = `${method} ${integration ?? ''} ${threads}T, ${per} per advance`;
            const session = new engine.ExplainSession(explainer, r.ids, r.typeIds, r.words, r.json);
            try {
              assert.equal(session.error(), null);
              let p = session.progress();
              assert.equal(p.done, 0);
              const total = p.total;
              while (!p.complete) {
                const q = session.advance(per);
                assert.ok(q.done >= p.done && q.done <= total && q.total === total, what);
                p = q;
              }
              assert.equal(p.done, total, what);
              assertSameExplanation(whole, session.finish(), what);
              assert.match(session.finish().error, /finished/, `${what}: a second finish`);
            } finally {
              session.delete();
            }
          }
        }
      }
    }
    const bad = new engine.ExplainSession(explainer, new Int32Array([101, 102]), null, new Int32Array([-1, -1]), '{}');
    assert.equal(bad.error().code, 'INVALID_ARGUMENT');
    assert.equal(bad.advance(1).code, 'INVALID_ARGUMENT');
    bad.delete();
  } finally {
    engine.setNumThreads(2);
    explainer.delete();
  }
});

test('pipe.explain: monotonic progress per batch, the one-call result bitwise, yields between batches', { skip }, async () => {
  const pipe = await pipeline('sentiment-analysis', model);
  const saved = env.yieldInterval;
  const explainer = new engine.Explainer(model.raw);
  try {
    env.yieldInterval = 0;  // yield after every batch
    const seq = model.tokenize(TEXT, null, { truncation: true }).ids.length;
    for (const [method, unit, total] of [['integrated_gradients', 'steps', 20], ['lime', 'samples', 30],
      ['occlusion', 'sequences', null], ['grad_x_input', 'sequences', 1]]) {
      const options = { method, steps: 20, samples: 30, seed: 1, batch_tokens: 4 * seq };
      /** @type {any[]} */
      const events = [];
      // queued before the call: it runs at the call's first yield (after its first batch)
      let ran = false, ranBeforeLastBatch = false;
      setImmediate(() => { ran = true; });
      const e = await pipe.explain(TEXT, {
        ...options,
        progress_callback: (ev) => {
          if (ev.done === ev.total) ranBeforeLastBatch = ran;
          events.push(ev);
        },
      });
      assert.equal(events[0].done, 0);
      for (const ev of events) {
        assert.deepEqual(Object.keys(ev).sort(), ['done', 'method', 'status', 'task', 'total', 'unit']);
        assert.equal(ev.status, 'explain');
        assert.equal(ev.unit, unit);
        assert.equal(ev.method, method);
        if (total !== null) assert.equal(ev.total, total);
      }
      for (let i = 1; i < events.length; i++) assert.ok(events[i].done > events[i - 1].done, `${method}: monotonic`);
      assert.equal(events.at(-1).done, events.at(-1).total);
      const batches = Math.ceil(events[0].total / Math.min(events[0].total, 4));
      assert.equal(events.length, 1 + batches, `${method}: one event per batch that advanced`);
      if (batches > 1) assert.ok(ranBeforeLastBatch, `${method}: the event loop ran during the call`);
      const r = engineRequest({ ...options, batch_tokens: 4 * seq });
      const whole = explainer.explain(r.ids, r.typeIds, r.words, r.json);
      assert.ok(sameBits(e.words.map((/** @type {any} */ w) => w.attribution), whole.words), `${method}: words bitwise`);
      assert.ok(sameBits(e.tokens.map((/** @type {any} */ t) => t.attribution), whole.tokens), `${method}: tokens bitwise`);
    }
    await assert.rejects(pipe.explain(TEXT, { progress_callback: /** @type {any} */ (1) }), /progress_callback/);
    await assert.rejects(pipe.explain(TEXT, { signal: /** @type {any} */ ({}) }), /signal/);
  } finally {
    env.yieldInterval = saved;
    explainer.delete();
  }
});

test('pipe.explain: an aborted signal stops it with an AbortError; the model stays exact, the heap at its baseline', { skip }, async (t) => {
  const pipe = await pipeline('sentiment-analysis', model);
  const saved = env.yieldInterval;
  env.yieldInterval = 0;  // yield after every batch: an abort queued in a callback fires before the next
  t.after(() => { env.yieldInterval = saved; });
  const options = { method: /** @type {const} */ ('integrated_gradients'), steps: 40, batch_tokens: 64 };
  const reference = await pipe.explain(TEXT, options);
  const logits = model.forward({ input_ids: [[101, 2023, 3185, 2001, 2307, 102]] }).logits.data;
  const heap = JSON.parse(engine.heapStats()).in_use_bytes;
  for (const where of ['callback', 'between batches']) {
    const controller = new AbortController();
    let seen = 0;
    await assert.rejects(pipe.explain(TEXT, {
      ...options, signal: controller.signal,
      progress_callback: (ev) => {
        seen = ev.done;
        if (ev.done >= 10) {
          if (where === 'callback') controller.abort(new Error('stop'));
          else setImmediate(() => controller.abort());  // fires while the call yields
        }
      },
    }), (/** @type {any} */ e) => e.name === 'AbortError' && e.code === 'ABORTED' && /cancelled/.test(e.message));
    assert.ok(seen >= 10 && seen < 40, `${where}: stopped half-way (${seen})`);
  }
  const pre = new AbortController();
  pre.abort();
  await assert.rejects(pipe.explain(TEXT, { ...options, signal: pre.signal }), { name: 'AbortError' });
  assert.ok(JSON.parse(engine.heapStats()).in_use_bytes <= heap + (1 << 16), 'the aborted sessions gave their memory back');
  const again = await pipe.explain(TEXT, options);
  assert.deepEqual(again, reference, 'the next explanation is the same, bitwise');
  assert.deepEqual(model.forward({ input_ids: [[101, 2023, 3185, 2001, 2307, 102]] }).logits.data, logits);
});

test('pipe.explain: disposing the model half-way ends it with DISPOSED, frees everything, other models exact', { skip }, async (t) => {
  const saved = env.yieldInterval;
  env.yieldInterval = 0;
  t.after(() => { env.yieldInterval = saved; });
  const logits = model.forward({ input_ids: [[101, 2023, 3185, 2001, 2307, 102]] }).logits.data;
  const heap = JSON.parse(engine.heapStats()).in_use_bytes;
  for (const where of ['callback', 'between batches']) {
    const pipe = await pipeline('sentiment-analysis', sharedPath('models', 'bert-mini-sst2'), { threads: 2 });
    assert.equal(pipe.model.runtime, model.runtime, 'one wasm heap: its baseline is measurable');
    await assert.rejects(pipe.explain(TEXT, {
      method: 'lime', samples: 60, batch_tokens: 64,
      progress_callback: (ev) => {
        if (ev.done > 0 && ev.done < ev.total) {
          if (where === 'callback') pipe.model.dispose();
          else setImmediate(() => pipe.model.dispose());
        }
      },
    }), (/** @type {any} */ e) => e.code === 'DISPOSED' && /disposed/.test(e.message));
    await pipe.dispose();
  }
  assert.ok(JSON.parse(engine.heapStats()).in_use_bytes <= heap + (1 << 16), 'heap back to its baseline');
  assert.deepEqual(model.forward({ input_ids: [[101, 2023, 3185, 2001, 2307, 102]] }).logits.data, logits);
});

test('worker: pipe.invoke("explain") forwards progress events and cancels on the signal', { skip }, async (t) => {
  const client = createWorkerClient(new Worker(new URL('../../js/worker.js', import.meta.url)));
  const saved = env.yieldInterval;
  env.yieldInterval = 0;  // forwarded: the worker yields after every batch and takes the 'cancel' message
  t.after(() => { env.yieldInterval = saved; });
  try {
    const pipe = await client.pipeline('sentiment-analysis', sharedPath('models', 'bert-mini-sst2'), { threads: 2 });
    // 24 batches of one interpolation point: the cancel, sent on the first progress event, arrives long before the end
    const options = { method: 'integrated_gradients', steps: 24, batch_tokens: 16 };
    /** @type {any[]} */
    const events = [];
    const e = await pipe.invoke('explain', TEXT, { ...options, progress_callback: (/** @type {any} */ ev) => events.push(ev) });
    const local = await (await pipeline('sentiment-analysis', model)).explain(TEXT, options);
    assert.deepEqual(e.words, local.words, 'the worker gives the same explanation');
    assert.deepEqual(events.map((ev) => ev.done), Array.from({ length: 25 }, (_, i) => i));
    const controller = new AbortController();
    await assert.rejects(pipe.invoke('explain', TEXT, {
      ...options, signal: controller.signal,
      progress_callback: (/** @type {any} */ ev) => { if (ev.done > 0) controller.abort(); },
    }), (/** @type {any} */ err) => err.name === 'AbortError' && err.code === 'ABORTED');
    assert.deepEqual((await pipe.invoke('explain', TEXT, options)).words, local.words, 'exact after the cancelled call');
    await pipe.dispose();
  } finally {
    await client.terminate();
  }
});
