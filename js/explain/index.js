// explain(model, task, inputs, options): why did the model predict what it did? Attributions of one
// prediction to the input's tokens and words, computed in the engine (src/explain): gradient × input,
// integrated gradients, occlusion, LIME, attention rollout and gradient-weighted attention rollout.
// See docs/tasks.md "Explanations" and docs/explanations.md.
//
// Pipelines expose it as `pipe.explain(inputs, options)` = explain(pipe.model, pipe.task, inputs, options).
//
// The multi-pass methods (integrated gradients' steps, LIME's samples, occlusion's copies) run as an
// engine ExplainSession, one batched forward(/backward) per call: between batches the call reports
// progress (`progress_callback`), yields to the event loop every env.yieldInterval ms, and stops with an
// AbortError when `signal` fires or DISPOSED when the model is disposed meanwhile. The batches and
// every sum are the same as in the engine's one-call Explainer.explain, so the result is bitwise equal.

import { BertologyError, check, unwrap } from '../errors.js';
import { yieldToEventLoop } from '../pipelines/common.js';
import { env } from '../sources/env.js';
import { groupWords } from './words.js';
import { resolveTask, resolveTarget } from './targets.js';

export const EXPLAIN_METHODS = ['grad_x_input', 'integrated_gradients', 'occlusion', 'lime', 'attention_rollout',
  'gradient_weighted_rollout'];
export const EXPLAIN_BASELINES = ['pad', 'zero'];
export const MAX_STEPS = 1024;
export const MAX_SAMPLES = 10000;

/**
 * @typedef {object} ExplainOptions
 * @property {'grad_x_input'|'integrated_gradients'|'occlusion'|'lime'|'attention_rollout'|'gradient_weighted_rollout'} [method]
 *   default 'integrated_gradients'
 * @property {'probability'|'logit'|'log_probability'} [output] the scalar explained; default 'probability'
 * @property {string|number} [target] class label (name or index), fill-mask token (string or id), or
 *   'start'/'end' for question answering; default: the model's prediction
 * @property {number} [word] token classification: which word's label to explain (default: the first
 *   word predicted as an entity, else the first word)
 * @property {number} [token] token classification / QA: explicit token index instead
 * @property {number} [steps] integrated gradients: 1..1024, default 32
 * @property {'gausslegendre'|'riemann_trapezoid'} [integration] default 'gausslegendre'
 * @property {'pad'|'zero'} [baseline] what a removed word's embeddings become (integrated gradients,
 *   occlusion, LIME: default 'pad'); for grad_x_input the e' of gradient · (e − e') at the embedding
 *   layer's output e, default 'zero' (e' = LayerNorm(0) = β: gradient × input), 'pad' (e' = the
 *   output with the word's embedding replaced by [PAD]'s) being the first-order estimate of occlusion
 * @property {number} [samples] lime: 1..10000, default 300
 * @property {number} [seed] lime: default 0
 * @property {number} [batch_tokens] tokens per batched forward/backward (default 1024); also the
 *   longest stretch the call runs without yielding (one batch)
 * @property {(event: ExplainProgress) => void} [progress_callback] called after each batch
 * @property {AbortSignal} [signal] stops the explanation between batches (an AbortError, code 'ABORTED')
 */

/**
 * @typedef {object} ExplainProgress
 * @property {'explain'} status
 * @property {string} task
 * @property {string} method
 * @property {'steps'|'samples'|'sequences'} unit integrated gradients' interpolation points, LIME's
 *   samples, or sequences (occlusion: one per word plus the input; the one-pass methods: 1)
 * @property {number} done
 * @property {number} total
 */

/** @type {WeakMap<object, import('../engine-contract.js').EngineExplainer>} model handle → engine Explainer */
const explainers = new WeakMap();
/**
 * Explanations in progress per model handle: releaseExplainer deletes their engine sessions first.
 * @typedef {{session: import('../engine-contract.js').EngineExplainSession, released: boolean}} LiveSession
 * @type {WeakMap<object, Set<LiveSession>>}
 */
const liveSessions = new WeakMap();

/**
 * The engine explainer of a model (created on first use; it caches the backward weights).
 * @param {import('../model.js').BertologyModel} model
 */
function explainerOf(model) {
  const handle = model.raw;
  let ex = explainers.get(handle);
  if (!ex) {
    ex = new model.runtime.module.Explainer(handle);
    explainers.set(handle, ex);
  }
  return ex;
}

/**
 * Frees a model's explainer (its backward weights) and the sessions of explanations still running on
 * it (they stop with DISPOSED at their next batch). Call before model.dispose().
 * @param {import('../model.js').BertologyModel} model
 */
export function releaseExplainer(model) {
  let handle;
  try { handle = model.raw; } catch { return; }
  for (const live of liveSessions.get(handle) ?? []) {
    live.released = true;
    live.session.delete();
  }
  liveSessions.delete(handle);
  const ex = explainers.get(handle);
  if (ex) {
    ex.delete();
    explainers.delete(handle);
  }
}

/**
 * @param {unknown} v @param {string} name @param {number} max
 * @returns {number | undefined}
 */
function count(v, name, max) {
  if (v === undefined) return undefined;
  check(Number.isInteger(v) && /** @type {number} */ (v) >= 1 && /** @type {number} */ (v) <= max,
    `explain: ${name} must be an integer in [1, ${max}], got ${String(v)}`);
  return /** @type {number} */ (v);
}

/**
 * Explains one prediction.
 * @param {import('../model.js').BertologyModel} model
 * @param {string} task a pipeline task name or alias
 * @param {string | {text: string, text_pair?: string} | {question: string, context: string}} inputs
 * @param {ExplainOptions} [options]
 */
export async function explain(model, task, inputs, options = {}) {
  check(options && typeof options === 'object', 'explain: options must be an object');
  const method = options.method ?? 'integrated_gradients';
  check(EXPLAIN_METHODS.includes(method), `explain: unknown method "${method}" (${EXPLAIN_METHODS.join(', ')})`);
  check(options.baseline === undefined || EXPLAIN_BASELINES.includes(options.baseline),
    `explain: baseline must be one of ${EXPLAIN_BASELINES.join(', ')}, got ${String(options.baseline)}`);
  const steps = count(options.steps, 'steps', MAX_STEPS);
  const samples = count(options.samples, 'samples', MAX_SAMPLES);
  const { signal, progress_callback: onProgress } = options;
  check(signal === undefined || (signal !== null && typeof signal === 'object' && typeof signal.aborted === 'boolean'),
    'explain: signal must be an AbortSignal');
  check(onProgress === undefined || typeof onProgress === 'function', 'explain: progress_callback must be a function');
  throwIfAborted(signal);
  // Progressive loading: explanations read any row of the word embeddings (baselines, samples).
  await model.weightsComplete;
  throwIfAborted(signal);
  const name = resolveTask(model, task);
  const texts = textsOf(name, inputs);
  const encoding = model.tokenize(texts[0], texts[1] ?? null, { truncation: true });
  const { wordOfToken, words } = groupWords(encoding, texts);
  check(words.length > 0, 'explain: the text has no words to explain');
  const target = resolveTarget(model, name, encoding, wordOfToken, words, options);
  const request = {
    method, output: options.output ?? 'probability', steps, samples, seed: options.seed,
    integration: options.integration, baseline: options.baseline, baseline_id: model.info.pad_token_id,
    max_batch_tokens: options.batch_tokens, target: target.index, position: target.position,
  };
  const r = await runSession(model, encoding, wordOfToken, JSON.stringify(request),
    { signal, onProgress, task: name, method });
  return formatResult(name, method, encoding, words, r, target);
}

/** @param {AbortSignal | undefined} signal */
function throwIfAborted(signal) {
  if (signal?.aborted) {
    const e = new BertologyError('explain: cancelled (signal aborted)', { code: 'ABORTED', cause: signal.reason });
    e.name = 'AbortError';
    throw e;
  }
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Runs one explanation as an engine session: a batch per call, progress after each, a yield to the
 * event loop every env.yieldInterval ms, the signal and the model's disposal checked between batches.
 * @param {import('../model.js').BertologyModel} model
 * @param {import('../model.js').Encoding} encoding
 * @param {Int32Array | number[]} wordOfToken
 * @param {string} requestJson
 * @param {{signal?: AbortSignal, onProgress?: (e: ExplainProgress) => void, task: string, method: string}} ctx
 * @returns {Promise<import('../engine-contract.js').EngineExplanation>}
 */
async function runSession(model, encoding, wordOfToken, requestJson, { signal, onProgress, task, method }) {
  const explainer = explainerOf(model);
  const handle = model.raw;
  const session = new model.runtime.module.ExplainSession(explainer, /** @type {Int32Array} */ (encoding.ids),
    /** @type {Int32Array} */ (encoding.type_ids), /** @type {Int32Array} */ (wordOfToken), requestJson);
  /** @type {LiveSession} */
  const live = { session, released: false };
  let set = liveSessions.get(handle);
  if (!set) liveSessions.set(handle, set = new Set());
  set.add(live);
  const alive = () => {
    if (live.released) throw new BertologyError('explain: the model was disposed during the explanation', { code: 'DISPOSED' });
    throwIfAborted(signal);
  };
  try {
    const failed = session.error();
    if (failed) unwrap(failed, 'explain');
    let p = unwrap(session.progress(), 'explain');
    /** @param {import('../engine-contract.js').EngineExplainProgress} q */
    const report = (q) => onProgress?.({ status: 'explain', task, method, unit: /** @type {any} */ (q.unit), done: q.done, total: q.total });
    report(p);
    alive();
    let last = now();
    while (!p.complete) {
      const done = p.done;
      p = unwrap(session.advance(1), 'explain');
      if (p.done !== done) report(p);
      alive();
      if (now() - last >= env.yieldInterval) {
        await yieldToEventLoop();
        alive();
        last = now();
      }
    }
    return unwrap(session.finish(), 'explain');
  } finally {
    set.delete(live);
    if (!live.released) session.delete();
  }
}

/**
 * @param {string} task
 * @param {any} inputs
 * @returns {string[]}
 */
function textsOf(task, inputs) {
  if (task === 'question-answering') {
    check(inputs && typeof inputs.question === 'string' && typeof inputs.context === 'string',
      'explain: question answering needs {question, context}');
    return [inputs.question, inputs.context];
  }
  if (typeof inputs === 'string') return [inputs];
  check(inputs && typeof inputs.text === 'string', 'explain: expected a text or {text, text_pair}');
  return typeof inputs.text_pair === 'string' ? [inputs.text, inputs.text_pair] : [inputs.text];
}

/**
 * @param {string} task
 * @param {string} method
 * @param {import('../model.js').Encoding} encoding
 * @param {import('./words.js').ExplainWord[]} words
 * @param {any} r the engine's result
 * @param {{label: (index: number) => string}} target
 */
function formatResult(task, method, encoding, words, r, target) {
  const p = r.prediction;
  const tokenAttr = Array.from(r.tokens);
  const wordAttr = Array.from(r.words);
  const out = {
    task, method,
    prediction: {
      label: target.label(p.index), index: p.index, score: p.probability, output: p.output, value: p.value,
      logit: p.logit, ...(p.position >= 0 && task !== 'text-classification' ? { position: p.position } : {}),
      ...(task === 'question-answering'
        ? { token: encoding.tokens[p.position], predicted_position: p.argmax }
        : { predicted: target.label(p.argmax) }),
      predicted_score: p.argmax_probability,
    },
    words: words.map((w, i) => ({ word: w.word, start: w.start, end: w.end, sequence: w.sequence, attribution: wordAttr[i] })),
    tokens: encoding.tokens.map((token, t) => ({
      token, start: encoding.offsets[2 * t], end: encoding.offsets[2 * t + 1], attribution: tokenAttr[t],
      word: -1,
    })),
    cost: { forward_sequences: r.forward_sequences, backward_sequences: r.backward_sequences },
  };
  words.forEach((w, i) => { for (const t of w.tokens) out.tokens[t].word = i; });
  if (method === 'integrated_gradients') {
    Object.assign(out, { baseline_value: r.baseline_value, delta: r.delta, completeness_gap: r.completeness_gap });
  }
  return out;
}
