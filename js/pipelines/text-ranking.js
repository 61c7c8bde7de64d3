// text-ranking: a cross-encoder (reranker) scores (query, document) pairs, as sentence-transformers'
// CrossEncoder.rank: [{corpus_id, score, text?}] best first. The score is the model's single logit
// through its configured activation — config.json "sentence_transformers": {"activation_fn": "torch…"}
// (or the older "sbert_ce_default_activation_function"), Sigmoid when none is set — never a softmax
// over one logit (which would make every score 1). Pairs run `batch_size` at a time, sorted by length.

import { BertologyError, check } from '../errors.js';
import { describe, forwardBatched, Pipeline, withExtras } from './common.js';
import { ACTIVATIONS } from '../sentence-transformers.js';
import { withMetadata } from './long-text.js';

/**
 * @typedef {object} RankedDocument
 * @property {number} corpus_id the document's index in `documents`
 * @property {number} score the activated logit
 * @property {string} [text] the document (with return_documents)
 */

/**
 * @typedef {object} TextRankingOptions
 * @property {number | null} [top_k] keep the best k (default all)
 * @property {boolean} [return_documents] add each document's text (default false)
 * @property {'sigmoid' | 'identity' | 'tanh'} [activation_fn] instead of the model's configured activation
 * @property {boolean} [return_metadata] make each hit's {tokens, max_length, truncated} enumerable
 */

const CALL_ACTIVATIONS = /** @type {Record<string, string>} */ ({ sigmoid: 'Sigmoid', identity: 'Identity', none: 'Identity', tanh: 'Tanh' });

/**
 * The activation sentence-transformers' CrossEncoder applies to this model's logits: the torch class
 * named in config.json, else Sigmoid for one label and Identity for more. Paths outside "torch." are
 * ignored, as sentence-transformers ignores them without trust_remote_code.
 * @param {Record<string, any>} config
 * @param {number} numLabels
 * @returns {string} a key of ACTIVATIONS
 */
export function crossEncoderActivation(config, numLabels) {
  const path = config?.sentence_transformers?.activation_fn ?? config?.sbert_ce_default_activation_function ?? null;
  if (typeof path === 'string' && path.startsWith('torch.')) {
    const name = path.split('.').at(-1) ?? '';
    if (!Object.hasOwn(ACTIVATIONS, name)) {
      throw new BertologyError(`text-ranking: the model's activation ${path} (config.json) is not supported `
        + `(supported: ${Object.keys(ACTIVATIONS).join(', ')})`, { code: 'INVALID_ARGUMENT' });
    }
    return name;
  }
  return numLabels === 1 ? 'Sigmoid' : 'Identity';
}

export class TextRankingPipeline extends Pipeline {
  static OPTIONS = ['top_k', 'return_documents', 'activation_fn', 'return_metadata'];

  /** The activation applied to the logit (a torch class name: Sigmoid, Identity, Tanh, ...). */
  get activation_fn() { return crossEncoderActivation(this.model.config, this.model.info.num_labels); }

  /**
   * @param {string} query
   * @param {string[]} documents
   * @param {TextRankingOptions & import('./common.js').OutputOptions} [options]
   * @returns {Promise<RankedDocument[]>}
   */
  async _call(query, documents, options) {
    const opts = this.options(options);
    const { top_k = null, return_documents = false } = opts;
    check(typeof query === 'string', `${this.task}: the query must be a string, got ${describe(query)}`);
    check(Array.isArray(documents) && documents.every((d) => typeof d === 'string'),
      `${this.task}: documents must be an array of strings, got ${describe(documents)}`);
    check(top_k === null || (Number.isInteger(top_k) && top_k > 0), `${this.task}: top_k must be a positive integer or null`);
    const { num_labels: numLabels } = this.model.info;
    if (numLabels !== 1) {
      throw new BertologyError(`${this.task}: ranking needs a cross-encoder with one output (num_labels 1); this model has ${numLabels} `
        + 'labels — score pairs with pipeline("text-classification") and {text, text_pair} instead', { code: 'INVALID_ARGUMENT' });
    }
    let name = this.activation_fn;
    if (opts.activation_fn !== undefined) {
      check(Object.hasOwn(CALL_ACTIVATIONS, opts.activation_fn), `${this.task}: activation_fn must be one of ${Object.keys(CALL_ACTIVATIONS).join(', ')}`);
      name = CALL_ACTIVATIONS[opts.activation_fn];
    }
    const act = ACTIVATIONS[name];
    if (documents.length === 0) return [];
    this.requireTokenizer();
    const maxLength = this.model.maxLength;
    const encodings = documents.map((d) => this.model.tokenize(query, d, { truncation: true }));
    /** @type {number[]} */
    const scores = new Array(documents.length);
    const extras = await forwardBatched(this.model, encodings, opts, (i, out, b) => {
      if (!out.logits) throw new BertologyError(`${this.task}: the engine returned no logits`);
      scores[i] = act(out.logits.data[b]);
    });
    const enumerable = opts.return_metadata === true;
    const hits = documents.map((text, i) => withMetadata(
      /** @type {RankedDocument} */ (return_documents ? { corpus_id: i, score: scores[i], text } : { corpus_id: i, score: scores[i] }),
      { tokens: encodings[i].ids.length, max_length: maxLength, truncated: encodings[i].truncated }, enumerable));
    hits.sort((a, b) => b.score - a.score || a.corpus_id - b.corpus_id);
    return withExtras(top_k === null ? hits : hits.slice(0, top_k), extras);
  }
}
