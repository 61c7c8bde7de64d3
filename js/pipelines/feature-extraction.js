// feature-extraction / embeddings: the last hidden state as a transformers.js-style Tensor, optionally
// pooled ([CLS] token or mask-aware mean) and L2-normalized.

import { check } from '../errors.js';
import { forwardBatched, forwardIds, isIdsInput, Pipeline, textInputs, withExtras } from './common.js';
import { Tensor } from '../tensor.js';

/**
 * @typedef {object} FeatureExtractionOptions
 * @property {'none' | 'cls' | 'first_token' | 'mean'} [pooling] default "none": [batch, seq, hidden]
 *   padded to the longest input; "cls" / "mean": [batch, hidden]
 * @property {boolean} [normalize] L2-normalize each vector (default false)
 * @property {boolean} [truncation] truncate texts to the model's limit (default true)
 */

const POOLINGS = ['none', 'cls', 'first_token', 'mean'];

export class FeatureExtractionPipeline extends Pipeline {
  static OPTIONS = ['pooling', 'normalize', 'truncation'];

  /**
   * @param {string | string[] | import('./common.js').IdsInput} inputs
   * @param {FeatureExtractionOptions & import('./common.js').OutputOptions} [options]
   * @returns {Promise<Tensor>}
   */
  async _call(inputs, options) {
    const opts = this.options(options);
    const { pooling = 'none', normalize = false, truncation = true } = opts;
    check(POOLINGS.includes(pooling), `${this.task}: pooling must be one of ${POOLINGS.join(', ')}, got ${pooling}`);
    const hidden = this.model.info.hidden_size;

    /** @type {{data: Float32Array, tokens: number}[]} per input: its vectors (tokens of them) */
    const rows = [];
    const onRow = (/** @type {number} */ i, /** @type {any} */ out, /** @type {number} */ b) => {
      const state = out.last_hidden_state;
      check(state, 'feature-extraction: the engine returned no last_hidden_state');
      const seq = state.dims[1];
      const mask = out.attention_mask.data.subarray(b * seq, (b + 1) * seq);
      const x = state.data.subarray(b * seq * hidden, (b + 1) * seq * hidden);
      if (pooling === 'none') {
        let n = seq;
        while (n > 0 && !mask[n - 1]) n--;
        rows[i] = { data: x.slice(0, n * hidden), tokens: n };
      } else if (pooling === 'cls' || pooling === 'first_token') {
        rows[i] = { data: x.slice(0, hidden), tokens: 1 };
      } else {
        const sum = new Float64Array(hidden);
        let count = 0;
        for (let t = 0; t < seq; t++) {
          if (!mask[t]) continue;
          count++;
          for (let h = 0; h < hidden; h++) sum[h] += x[t * hidden + h];
        }
        rows[i] = { data: Float32Array.from(sum, (v) => v / Math.max(count, 1)), tokens: 1 };
      }
      if (normalize) normalizeRows(rows[i].data, hidden);
    };

    let extras;
    if (isIdsInput(inputs)) {
      extras = forwardIds(this.model, inputs, { ...opts, output_last_hidden_state: true }, onRow).extras;
    } else {
      const { texts } = textInputs(inputs, this.task);
      this.requireTokenizer();
      const encodings = texts.map((text) => this.model.tokenize(text, null, { truncation }));
      extras = forwardBatched(this.model, encodings, { ...opts, output_last_hidden_state: true }, onRow);
    }
    let result;
    if (pooling === 'none') {
      const seq = Math.max(...rows.map((r) => r.tokens));
      const data = new Float32Array(rows.length * seq * hidden);
      rows.forEach((r, i) => data.set(r.data, i * seq * hidden));
      result = new Tensor(data, [rows.length, seq, hidden]);
    } else {
      const data = new Float32Array(rows.length * hidden);
      rows.forEach((r, i) => data.set(r.data, i * hidden));
      result = new Tensor(data, [rows.length, hidden]);
    }
    return withExtras(result, extras);
  }
}

/**
 * L2-normalizes each `width`-long vector of `data` in place.
 * @param {Float32Array} data
 * @param {number} width
 */
function normalizeRows(data, width) {
  for (let o = 0; o < data.length; o += width) {
    let sq = 0;
    for (let h = 0; h < width; h++) sq += data[o + h] * data[o + h];
    const norm = Math.max(Math.sqrt(sq), 1e-12);
    for (let h = 0; h < width; h++) data[o + h] /= norm;
  }
}
