// text-classification / sentiment-analysis: label scores per text (or text pair), as Hugging Face's
// TextClassificationPipeline and transformers.js return them.

import { check } from '../errors.js';
import { describe, forwardBatched, ensureIdsWeights, forwardIds, isIdsInput, Pipeline, withExtras } from './common.js';
import { row, sigmoid, softmax } from '../tensor.js';
import { maxLengthOption, textWindows, withMetadata } from './long-text.js';

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
 * @property {'truncate' | 'chunk'} [long_text] texts longer than the model: "truncate" (default) reads the
 *   first max_length tokens; "chunk" classifies overlapping windows and aggregates their scores
 * @property {number} [stride] with long_text "chunk": tokens shared by consecutive windows (default 0)
 * @property {'mean' | 'max'} [chunk_aggregation] with long_text "chunk": each label's score is the mean
 *   (default) or the maximum of the windows' scores
 * @property {number} [max_length] truncation / window length in tokens (default: the model's limit)
 * @property {boolean} [return_metadata] make each result's {tokens, max_length, truncated, chunks} enumerable
 */

/** @typedef {{text: string, text_pair?: string | null}} TextPair */

export class TextClassificationPipeline extends Pipeline {
  static OPTIONS = ['top_k', 'function_to_apply', 'truncation', 'long_text', 'stride', 'chunk_aggregation', 'max_length',
    'return_metadata'];

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

    const { long_text: longText = 'truncate', stride = 0, chunk_aggregation: chunkAggregation = 'mean' } = opts;
    check(longText === 'truncate' || longText === 'chunk', `${this.task}: long_text must be "truncate" or "chunk", got ${longText}`);
    check(longText === 'chunk' || stride === 0, `${this.task}: stride needs long_text: "chunk"`);
    check(chunkAggregation === 'mean' || chunkAggregation === 'max', `${this.task}: chunk_aggregation must be "mean" or "max"`);

    /** @type {number[][]} scores per encoding (window), in label order */
    const scored = [];
    const onRow = (/** @type {number} */ i, /** @type {any} */ out, /** @type {number} */ b) => {
      const x = row(out.logits, b).data;
      scored[i] = fn === 'softmax' ? softmax(x) : fn === 'sigmoid' ? sigmoid(x) : Array.from(x);
    };

    let single;
    let extras;
    /** @type {number[][]} the encodings of each input */
    let groups;
    /** @type {import('./long-text.js').InputMetadata[]} */
    let metadata;
    const maxLength = maxLengthOption(opts.max_length, this.model.maxLength, this.task);
    if (isIdsInput(inputs)) {
      single = false;
      check(longText === 'truncate', `${this.task}: long_text "chunk" needs text inputs`);
      await ensureIdsWeights(this.model, inputs);
      const r = forwardIds(this.model, inputs, opts, onRow);
      extras = r.extras;
      groups = scored.map((_, i) => [i]);
      metadata = groups.map(() => ({ tokens: r.out.input_ids.dims[1], max_length: maxLength, truncated: false }));
    } else {
      const { pairs, single: one } = pairInputs(inputs, this.task);
      single = one;
      this.requireTokenizer();
      /** @type {import('../model.js').Encoding[]} */
      const encodings = [];
      groups = [];
      metadata = [];
      for (const { text, text_pair } of pairs) {
        if (longText === 'chunk') {
          check(text_pair == null, `${this.task}: long_text "chunk" splits single texts; text pairs are truncated`);
          const full = this.model.tokenize(text, null, {});
          const windows = textWindows(full, maxLength, stride);
          groups.push(windows.map((w) => encodings.push(w) - 1));
          metadata.push({ tokens: full.ids.length, max_length: maxLength, truncated: false, chunks: windows.length });
        } else {
          const e = this.model.tokenize(text, text_pair ?? null, { truncation, max_length: maxLength });
          groups.push([encodings.push(e) - 1]);
          const tokens = e.truncated ? this.model.tokenize(text, text_pair ?? null, {}).ids.length : e.ids.length;
          metadata.push({ tokens, max_length: maxLength, truncated: e.truncated });
        }
      }
      extras = await forwardBatched(this.model, encodings, opts, onRow);
    }
    const enumerable = opts.return_metadata === true;
    /** @type {TextClassificationOutput[][]} */
    const results = groups.map((g, i) => {
      const scores = scored[g[0]].map((_, k) => (chunkAggregation === 'max'
        ? Math.max(...g.map((w) => scored[w][k])) : g.reduce((sum, w) => sum + scored[w][k], 0) / g.length));
      const labeled = scores.map((score, k) => ({ label: id2label?.[String(k)] ?? `LABEL_${k}`, score }));
      labeled.sort((p, q) => q.score - p.score);
      const list = top_k === null ? labeled : labeled.slice(0, top_k);
      // top_k 1 returns the {label, score} itself, so the metadata goes on it; otherwise on the list.
      if (top_k === 1) withMetadata(list[0], metadata[i], enumerable);
      return withMetadata(list, metadata[i], enumerable);
    });
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
