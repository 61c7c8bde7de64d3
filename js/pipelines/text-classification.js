// text-classification / sentiment-analysis: label scores per text (or text pair), as Hugging Face's
// TextClassificationPipeline and transformers.js return them.

import { check } from '../errors.js';
import { describe, forwardBatched, forwardIds, isIdsInput, Pipeline, withExtras } from './common.js';
import { row, sigmoid, softmax } from '../tensor.js';

/**
 * @typedef {object} TextClassificationOutput
 * @property {string} label
 * @property {number} score
 */

/**
 * @typedef {object} TextClassificationOptions
 * @property {number | null} [top_k] labels per input (default 1; null = all, sorted by score)
 * @property {'softmax' | 'sigmoid' | 'none'} [function_to_apply] default: none for regression models,
 *   sigmoid for multi-label (or single-logit) models, softmax otherwise
 * @property {boolean} [truncation] truncate texts to the model's limit (default true)
 */

/** @typedef {{text: string, text_pair?: string | null}} TextPair */

export class TextClassificationPipeline extends Pipeline {
  static OPTIONS = ['top_k', 'function_to_apply', 'truncation'];

  /**
   * @param {string | string[] | TextPair | TextPair[] | import('./common.js').IdsInput} inputs
   * @param {TextClassificationOptions & import('./common.js').OutputOptions} [options]
   */
  async _call(inputs, options) {
    const opts = this.options(options);
    const { top_k = 1, truncation = true } = opts;
    check(top_k === null || (Number.isInteger(top_k) && top_k > 0), `${this.task}: top_k must be a positive integer or null`);
    const { id2label, problem_type: problemType, num_labels: numLabels } = this.model.info;
    const fn = opts.function_to_apply ?? (problemType === 'regression' ? 'none'
      : problemType === 'multi_label_classification' || numLabels === 1 ? 'sigmoid' : 'softmax');
    check(['softmax', 'sigmoid', 'none'].includes(fn), `${this.task}: function_to_apply must be softmax, sigmoid or none`);

    /** @type {TextClassificationOutput[][]} */
    const results = [];
    const onRow = (/** @type {number} */ i, /** @type {any} */ out, /** @type {number} */ b) => {
      const x = row(out.logits, b).data;
      const scores = fn === 'softmax' ? softmax(x) : fn === 'sigmoid' ? sigmoid(x) : Array.from(x);
      const labeled = scores.map((score, k) => ({ label: id2label?.[String(k)] ?? `LABEL_${k}`, score }));
      labeled.sort((p, q) => q.score - p.score);
      results[i] = top_k === null ? labeled : labeled.slice(0, top_k);
    };

    let single;
    let extras;
    if (isIdsInput(inputs)) {
      single = false;
      extras = forwardIds(this.model, inputs, opts, onRow).extras;
    } else {
      const { pairs, single: one } = pairInputs(inputs, this.task);
      single = one;
      this.requireTokenizer();
      const encodings = pairs.map(({ text, text_pair }) => this.model.tokenize(text, text_pair ?? null, { truncation }));
      extras = forwardBatched(this.model, encodings, opts, onRow);
    }
    // transformers.js: with top_k 1 one {label, score} per input (a flat list); otherwise a list per input.
    /** @type {any} */
    const value = top_k === 1 ? results.map((r) => r[0]) : single ? results[0] : results;
    return withExtras(value, extras);
  }
}

/**
 * @param {any} inputs
 * @param {string} task
 * @returns {{pairs: TextPair[], single: boolean}}
 */
function pairInputs(inputs, task) {
  const one = (/** @type {any} */ x, /** @type {string} */ where) => {
    if (typeof x === 'string') return { text: x, text_pair: null };
    check(x !== null && typeof x === 'object' && !Array.isArray(x) && typeof x.text === 'string',
      `${task}: ${where} must be a string or {text, text_pair}, got ${describe(x)}`);
    check(x.text_pair == null || typeof x.text_pair === 'string', `${task}: ${where}.text_pair must be a string`);
    return { text: x.text, text_pair: x.text_pair ?? null };
  };
  if (!Array.isArray(inputs)) return { pairs: [one(inputs, 'the input')], single: true };
  check(inputs.length > 0, `${task}: empty batch (an empty array of inputs)`);
  return { pairs: inputs.map((x, i) => one(x, `input ${i}`)), single: false };
}
