// The tokenizer API of the pipelines (`pipe.tokenizer`, `AutoTokenizer.from_pretrained`): encode with
// truncation and overflowing windows, decode, token ↔ id conversion — over the engine's tokenizer.

import { BertologyError, check } from './errors.js';
import { BertologyModel } from './model.js';
import { int32Ids } from './batch.js';

/**
 * One encoded text (or text pair), as plain arrays. `offsets` are [start, end) JS string indices into
 * the text the token comes from (`sequence_ids`: 0 the text, 1 the pair, null a special token).
 * @typedef {object} TokenizerEncoding
 * @property {number[]} input_ids
 * @property {number[]} token_type_ids
 * @property {number[]} attention_mask
 * @property {Array<[number, number]>} offsets
 * @property {string[]} tokens
 * @property {Array<number | null>} sequence_ids
 * @property {Array<number | null>} word_ids
 */

/**
 * @typedef {object} EncodeOptions
 * @property {boolean} [add_special_tokens] default true
 * @property {boolean} [truncation] default false (true when return_overflowing_tokens is set)
 * @property {number} [max_length] default: model_max_length
 * @property {number} [stride] tokens shared by consecutive overflowing windows (default 0)
 * @property {boolean} [return_overflowing_tokens] return every window (a list) instead of the first
 */

/**
 * @param {import('./model.js').Encoding} e
 * @param {number} [from] first token
 * @param {number} [to] end token (exclusive)
 * @returns {TokenizerEncoding}
 */
function plain(e, from = 0, to = e.ids.length) {
  /** @type {Array<[number, number]>} */
  const offsets = [];
  for (let i = from; i < to; i++) offsets.push([e.offsets[2 * i], e.offsets[2 * i + 1]]);
  const nullable = (/** @type {Int32Array} */ a) => Array.from(a.subarray(from, to), (v) => (v < 0 ? null : v));
  return {
    input_ids: Array.from(e.ids.subarray(from, to)),
    token_type_ids: Array.from(e.type_ids.subarray(from, to)),
    attention_mask: Array.from(e.attention_mask.subarray(from, to)),
    offsets,
    tokens: e.tokens.slice(from, to),
    sequence_ids: nullable(e.sequence_ids),
    word_ids: nullable(e.word_ids),
  };
}

/**
 * Hugging Face's overflow rule for one sequence: windows of `max_length` minus the special tokens,
 * starting at 0, each `room - stride` after the previous, until one reaches the end.
 * @param {import('./model.js').Encoding} full encoding of the whole text (special tokens included)
 * @param {number} maxLength
 * @param {number} stride
 * @returns {TokenizerEncoding[]}
 */
function singleWindows(full, maxLength, stride) {
  const n = full.ids.length;
  let first = 0;
  while (first < n && full.sequence_ids[first] < 0) first++;
  let last = n;
  while (last > first && full.sequence_ids[last - 1] < 0) last--;
  const whole = plain(full);
  const prefix = plain(full, 0, first);
  const suffix = plain(full, last, n);
  const room = maxLength - prefix.input_ids.length - suffix.input_ids.length;
  check(room > 0, `encode: max_length ${maxLength} leaves no room for text after the special tokens`);
  check(stride >= 0 && stride < room, `encode: stride must be in [0, ${room}) for max_length ${maxLength}, got ${stride}`);
  const count = last - first;
  /** @type {TokenizerEncoding[]} */
  const windows = [];
  for (let start = 0; ; start += room - stride) {
    const stop = Math.min(start + room, count);
    /** @type {Record<string, any[]>} */
    const w = {};
    for (const key of /** @type {(keyof TokenizerEncoding)[]} */ (Object.keys(whole))) {
      w[key] = [...prefix[key], .../** @type {any[]} */ (whole[key]).slice(first + start, first + stop), ...suffix[key]];
    }
    windows.push(/** @type {TokenizerEncoding} */ (/** @type {unknown} */ (w)));
    if (stop >= count) break;
  }
  return windows;
}

/**
 * WordPiece's decoder (prefix "##", cleanup on), as tokenizers applies it to token strings.
 * @param {string[]} tokens
 * @returns {string}
 */
export function wordPieceTokensToString(tokens) {
  return tokens.map((t, i) => {
    let s = t;
    if (i !== 0) s = s.startsWith('##') ? s.slice(2) : ` ${s}`;
    return s.replace(' .', '.').replace(' ?', '?').replace(' !', '!').replace(' ,', ',').replace(" ' ", "'")
      .replace(" n't", "n't").replace(" 'm", "'m").replace(' do not', " don't").replace(" 's", "'s")
      .replace(" 've", "'ve").replace(" 're", "'re");
  }).join('');
}

export class Tokenizer {
  /** @type {BertologyModel | null} */ #model;
  #owned;
  /** @type {boolean | undefined} */ #wordPiece;

  /**
   * @param {BertologyModel} model a model loaded with its tokenizer files
   * @param {{owned?: boolean}} [options] owned: dispose() frees the model too
   */
  constructor(model, { owned = false } = {}) {
    check(model instanceof BertologyModel, 'Tokenizer: expected a BertologyModel');
    if (!model.info.has_tokenizer) {
      throw new BertologyError('this model has no tokenizer (tokenizer.json was not among its files)', { code: 'INVALID_ARGUMENT' });
    }
    this.#model = model;
    this.#owned = owned;
  }

  /** @returns {BertologyModel} */
  get model() {
    if (!this.#model) throw new BertologyError('tokenizer used after dispose()', { code: 'DISPOSED' });
    return this.#model;
  }

  /** The longest input (special tokens included) the model takes. */
  get model_max_length() { return this.model.maxLength; }

  /** @returns {string | null} */
  get mask_token() { return this.model.info.mask_token || null; }

  /** @returns {number | null} */
  get mask_token_id() { return this.#idOrNull(this.model.info.mask_token_id); }

  /** @returns {number} */
  get pad_token_id() { return this.model.info.pad_token_id; }

  /** Token type id of padding positions (XLNet: 3, else 0). */
  get pad_token_type_id() { return this.model.info.pad_token_type_id ?? 0; }

  /**
   * Where batches are padded: 'right', or 'left' for tokenizers that pad on the left (XLNet), from
   * tokenizer_config.json `padding_side`. Settable, as in transformers; the model's batches follow it.
   * @returns {'left' | 'right'}
   */
  get padding_side() { return this.model.padding_side; }

  set padding_side(side) { this.model.padding_side = side; }

  /** The unknown token's id (WordPiece "[UNK]", BPE/SentencePiece "<unk>"), or null. */
  get unk_token_id() {
    for (const t of ['[UNK]', '<unk>']) {
      const id = this.model.tokenToId(t);
      if (id >= 0) return id;
    }
    return null;
  }

  /** True for WordPiece vocabularies (continuation pieces start with "##"). */
  get is_wordpiece() {
    this.#wordPiece ??= ['##s', '##a', '##e', '##ing'].some((t) => this.model.tokenToId(t) >= 0);
    return this.#wordPiece;
  }

  /** @param {number | undefined} id */
  #idOrNull(id) { return typeof id === 'number' && id >= 0 ? id : null; }

  /**
   * Encodes a text (or a text pair). With `return_overflowing_tokens`, returns every window of
   * `max_length` tokens, consecutive windows sharing `stride` tokens (for a pair only the second
   * text is split, each window repeating the first, as the question-answering pipeline does).
   * @param {string} text
   * @param {string | null} [text_pair]
   * @param {EncodeOptions} [options]
   * @returns {TokenizerEncoding | TokenizerEncoding[]}
   */
  encode(text, text_pair = null, options = {}) {
    if (text_pair && typeof text_pair === 'object' && !Array.isArray(text_pair)) {
      options = /** @type {EncodeOptions} */ (text_pair);
      text_pair = null;
    }
    const { add_special_tokens = true, stride = 0, return_overflowing_tokens = false } = options;
    const truncation = options.truncation ?? return_overflowing_tokens;
    const max_length = /** @type {number} */ (options.max_length ?? this.model_max_length);
    check(typeof text === 'string', `encode: text must be a string, got ${typeof text}`);
    check(text_pair == null || typeof text_pair === 'string', `encode: text_pair must be a string, got ${typeof text_pair}`);
    check(Number.isInteger(max_length) && max_length > 0, `encode: max_length must be a positive integer, got ${max_length}`);
    check(Number.isInteger(stride) && stride >= 0, `encode: stride must be a non-negative integer, got ${stride}`);
    if (!return_overflowing_tokens) {
      check(stride === 0, 'encode: stride needs return_overflowing_tokens: true');
      return plain(this.model.tokenize(text, text_pair, { add_special_tokens, truncation, max_length }));
    }
    check(truncation, 'encode: return_overflowing_tokens needs truncation');
    if (text_pair != null) {
      check(add_special_tokens, 'encode: overflowing pairs always carry special tokens');
      return this.model.tokenizeWindows(text, text_pair, { max_length, stride }).map((w) => plain(w));
    }
    const full = this.model.tokenize(text, null, { add_special_tokens, truncation: false });
    return singleWindows(full, max_length, stride);
  }

  /**
   * The tokens of a text, without special tokens.
   * @param {string} text
   * @returns {string[]}
   */
  tokenize(text) {
    check(typeof text === 'string', `tokenize: text must be a string, got ${typeof text}`);
    return this.model.tokenize(text, null, { add_special_tokens: false }).tokens;
  }

  /**
   * @param {ArrayLike<number | bigint>} ids
   * @param {{skip_special_tokens?: boolean}} [options]
   * @returns {string}
   */
  decode(ids, { skip_special_tokens = false } = {}) {
    return this.model.decode(int32Ids(ids, 'decode'), { skip_special_tokens });
  }

  /**
   * @param {ArrayLike<number>[]} batch
   * @param {{skip_special_tokens?: boolean}} [options]
   * @returns {string[]}
   */
  batch_decode(batch, options) {
    return Array.from(batch, (ids) => this.decode(ids, options));
  }

  /**
   * @template {number | ArrayLike<number>} T
   * @param {T} ids
   * @returns {T extends number ? string : string[]}
   */
  convert_ids_to_tokens(ids) {
    const one = (/** @type {number} */ id) => this.model.idToToken(id);
    return /** @type {any} */ (typeof ids === 'number' ? one(ids) : Array.from(/** @type {ArrayLike<number>} */ (ids), one));
  }

  /**
   * Unknown tokens map to the unknown token's id.
   * @template {string | string[]} T
   * @param {T} tokens
   * @returns {T extends string ? number : number[]}
   */
  convert_tokens_to_ids(tokens) {
    const one = (/** @type {string} */ t) => {
      const id = this.model.tokenToId(t);
      return id >= 0 ? id : /** @type {number} */ (this.unk_token_id);
    };
    return /** @type {any} */ (typeof tokens === 'string' ? one(tokens) : tokens.map(one));
  }

  /**
   * Joins tokens into text the way the tokenizer's decoder does (WordPiece: "##" pieces glued on).
   * @param {string[]} tokens
   * @returns {string}
   */
  convert_tokens_to_string(tokens) {
    if (this.is_wordpiece) return wordPieceTokensToString(tokens);
    return this.model.decode(Int32Array.from(tokens, (t) => this.convert_tokens_to_ids(t)));
  }

  /** Frees the model behind the tokenizer if the tokenizer owns it (AutoTokenizer). */
  dispose() {
    if (this.#owned) this.#model?.dispose();
    this.#model = null;
  }
}

export class AutoTokenizer {
  /**
   * Loads a tokenizer from anything `BertologyModel.load` accepts. The engine builds tokenizers only
   * as part of a model, so the model's weights are loaded too; `dispose()` frees them.
   * @param {import('./files.js').ModelSource | BertologyModel} source
   * @param {object} [options] passed to BertologyModel.load
   * @returns {Promise<Tokenizer>}
   */
  static async from_pretrained(source, options = {}) {
    if (source instanceof BertologyModel) return new Tokenizer(source);
    const model = await BertologyModel.load(/** @type {any} */ (source), options);
    try {
      return new Tokenizer(model, { owned: true });
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
}
