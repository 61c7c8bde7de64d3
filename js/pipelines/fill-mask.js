// fill-mask: the most likely tokens for each mask token, as Hugging Face's FillMaskPipeline returns
// them (one list for a text with one mask, a list per mask for several masks).

import { BertologyError, check } from '../errors.js';
import { forwardBatched, ensureIdsWeights, forwardIds, isIdsInput, Pipeline, softmaxRow, textInputs, withExtras } from './common.js';

/**
 * @typedef {object} FillMaskOutput
 * @property {number} score probability of the token at the mask (softmax over the vocabulary)
 * @property {number} token its id
 * @property {string} token_str the token decoded alone
 * @property {string} sequence the input with the mask replaced (special tokens skipped for one mask)
 */

/**
 * @typedef {object} FillMaskOptions
 * @property {number} [top_k] tokens per mask (default 5)
 * @property {string | string[]} [targets] score only these tokens (words outside the vocabulary use
 *   their first token)
 * @property {number} [mask_token_id] the mask's id for token-id inputs of models without a tokenizer
 */

export class FillMaskPipeline extends Pipeline {
  static OPTIONS = ['top_k', 'targets', 'mask_token_id'];

  /**
   * @param {string | string[] | import('./common.js').IdsInput} inputs
   * @param {FillMaskOptions & import('./common.js').OutputOptions} [options]
   */
  async _call(inputs, options) {
    const opts = this.options(options);
    let { top_k = 5 } = opts;
    check(Number.isInteger(top_k) && top_k > 0, `fill-mask: top_k must be a positive integer, got ${top_k}`);
    const maskId = opts.mask_token_id ?? this.tokenizer?.mask_token_id ?? null;
    if (maskId === null) {
      throw new BertologyError('fill-mask: the model has no mask token (pass mask_token_id for token-id inputs)', { code: 'INVALID_ARGUMENT' });
    }
    const targetIds = opts.targets == null ? null : this.#targetIds(opts.targets);
    if (targetIds) top_k = Math.min(top_k, targetIds.length);
    const padId = this.model.info.pad_token_id;

    /** @type {any[]} */
    const results = [];
    /** @type {string[] | null} */
    let texts = null;
    // The masked-LM head runs only at the mask positions (logits [positions, vocab]), not over the
    // whole vocabulary for every token.
    /** @type {Map<number, number>} */
    let rowOf = new Map();
    /** @type {any} */
    let rowsOut = null;
    const onRow = (/** @type {number} */ i, /** @type {any} */ out, /** @type {number} */ b) => {
      const seq = out.input_ids.dims[1], vocab = out.logits.dims[1];
      if (rowsOut !== out) {
        rowsOut = out;
        rowOf = new Map(Array.from(out.logit_positions, (/** @type {number} */ p, /** @type {number} */ r) => [p, r]));
      }
      const mask = out.attention_mask.data;
      // The row's own ids, padding removed (Hugging Face filters pad ids out before decoding).
      /** @type {number[]} */
      const ids = [];
      /** @type {number[]} where each mask token is in `ids` */
      const positions = [];
      /** @type {number[]} and in the row */
      const rowPositions = [];
      for (let t = 0; t < seq; t++) {
        if (!mask[b * seq + t]) continue;
        const id = out.input_ids.data[b * seq + t];
        if (id === maskId) { positions.push(ids.length); rowPositions.push(t); }
        ids.push(id);
      }
      if (positions.length === 0) {
        const where = texts ? `"${texts[i]}"` : `row ${i}`;
        const token = this.tokenizer?.mask_token ?? `id ${maskId}`;
        throw new BertologyError(`fill-mask: no mask token (${token}) in input ${where}`, { code: 'INVALID_ARGUMENT' });
      }
      const singleMask = positions.length === 1;
      const perMask = positions.map((at, m) => {
        const probs = softmaxRow(out.logits.data, /** @type {number} */ (rowOf.get(b * seq + rowPositions[m])) * vocab, vocab);
        return topK(probs, top_k, targetIds).map(({ id, score }) => {
          const filled = ids.slice();
          filled[at] = id;
          return {
            score, token: id, token_str: this.model.decode([id]),
            sequence: this.model.decode(filled.filter((x) => x !== padId), { skip_special_tokens: singleMask }),
          };
        });
      });
      results[i] = singleMask ? perMask[0] : perMask;
    };

    let single = false;
    let extras;
    if (isIdsInput(inputs)) {
      await ensureIdsWeights(this.model, inputs);
      extras = forwardIds(this.model, inputs, { ...opts, logits_for_token_ids: [maskId] }, onRow).extras;
    } else {
      const t = textInputs(inputs, 'fill-mask');
      texts = t.texts;
      single = t.single;
      this.requireTokenizer();
      const encodings = texts.map((text) => this.model.tokenize(text, null, { truncation: true }));
      const missing = encodings.findIndex((e) => !e.ids.includes(maskId));
      if (missing >= 0) {
        throw new BertologyError(`fill-mask: no mask token (${this.tokenizer?.mask_token}) in input "${texts[missing]}"`
          + `${encodings[missing].truncated ? ' (after truncation to the model\'s limit)' : ''}`, { code: 'INVALID_ARGUMENT' });
      }
      extras = await forwardBatched(this.model, encodings, { ...opts, logits_for_token_ids: [maskId] }, onRow);
    }
    return withExtras(single ? results[0] : results, extras);
  }

  /**
   * @param {string | string[]} targets
   * @returns {number[]}
   */
  #targetIds(targets) {
    const list = typeof targets === 'string' ? [targets] : targets;
    check(Array.isArray(list) && list.length > 0 && list.every((t) => typeof t === 'string'),
      'fill-mask: targets must be a string or a non-empty array of strings');
    this.requireTokenizer();
    const ids = list.map((t) => {
      const id = this.model.tokenToId(t);
      if (id >= 0) return id;
      const pieces = this.model.tokenize(t, null, { add_special_tokens: false }).ids;
      if (pieces.length === 0) throw new BertologyError(`fill-mask: target "${t}" is empty after tokenization`, { code: 'INVALID_ARGUMENT' });
      return pieces[0];
    });
    return [...new Set(ids)];
  }
}

/**
 * The k best entries of `probs` (restricted to `candidates` when given), best first, ties by id.
 * @param {Float64Array} probs
 * @param {number} k
 * @param {number[] | null} candidates
 * @returns {{id: number, score: number}[]}
 */
function topK(probs, k, candidates) {
  /** @type {{id: number, score: number}[]} */
  const best = [];
  const consider = (/** @type {number} */ id) => {
    const score = probs[id];
    if (best.length === k && score <= best[k - 1].score) return;
    let at = best.length;
    while (at > 0 && best[at - 1].score < score) at--;
    best.splice(at, 0, { id, score });
    if (best.length > k) best.pop();
  };
  if (candidates) candidates.forEach(consider);
  else for (let id = 0; id < probs.length; id++) consider(id);
  return best;
}
