// explain(model, task, inputs, options): why did the model predict what it did? Attributions of one
// prediction to the input's tokens and words, computed in the engine (src/explain): gradient × input,
// integrated gradients, occlusion, LIME, attention rollout and gradient-weighted attention rollout.
// See docs/tasks.md "Explanations" and docs/explanations.md.
//
// Pipelines expose it as `pipe.explain(inputs, options)` = explain(pipe.model, pipe.task, inputs, options).

import { check, unwrap } from '../errors.js';
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
 * @property {number} [batch_tokens] tokens per batched forward/backward (default 1024)
 */

/** @type {WeakMap<object, import('../engine-contract.js').EngineExplainer>} model handle → engine Explainer */
const explainers = new WeakMap();

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
 * Frees a model's explainer (its backward weights). Call before model.dispose().
 * @param {import('../model.js').BertologyModel} model
 */
export function releaseExplainer(model) {
  let handle;
  try { handle = model.raw; } catch { return; }
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
  const r = unwrap(explainerOf(model).explain(encoding.ids, encoding.type_ids, wordOfToken, JSON.stringify(request)), 'explain');
  return formatResult(name, method, encoding, words, r, target);
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
