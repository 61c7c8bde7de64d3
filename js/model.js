// BertologyModel: one loaded model (weights + optional tokenizer) on a wasm runtime.

import { BertologyError, check, unwrap } from './errors.js';
import { FORWARD_FLAGS } from './engine-contract.js';
import { getRuntime } from './runtime.js';
import { mark } from './runtime/host.js';
import { emit } from './sources/common.js';
import { decodeUtf8, toUtf16Offsets } from './offsets.js';
import { engineText } from './text.js';
import { callLimits, checkTextCount, checkTextLength } from './limits.js';
import { idsInputs, int32Ids, padEncodings } from './batch.js';
import { tensor } from './tensor.js';
import { classify } from './classify.js';
import { releaseExplainer } from './explain/index.js';
import { checkModelLoadOptions, loadEngine, openModelSource } from './model-load.js';
import { ProgressiveTable } from './progressive.js';

/**
 * What `info()` reports (the engine's view of config.json and the tokenizer files).
 * @typedef {object} ModelInfo
 * @property {string} model_type
 * @property {'base'|'masked_lm'|'sequence_classification'|'token_classification'|'question_answering'|'replaced_token_detection'} head ELECTRA's discriminator: replaced_token_detection
 * @property {Record<string, string>} id2label
 * @property {string} [problem_type]
 * @property {number} num_labels
 * @property {number} hidden_size
 * @property {number} num_layers
 * @property {number} num_heads
 * @property {number} vocab_size
 * @property {number} max_position_embeddings
 * @property {number} [type_vocab_size] token types the embeddings have (0 or absent: none)
 * @property {boolean} [uses_token_type_ids] whether the model reads token types (embedded, or XLNet's segments)
 * @property {number} [max_sequence_length] longest input the position embeddings allow
 * @property {number} pad_token_id
 * @property {'fp32'|'q8'} dtype how the weights are held: q8 with `dtype: 'q8'` or for a folder converted to int8
 * @property {number} [task_type_vocab_size] ERNIE with use_task_id: task_type_ids are in [0, n); else 0
 * @property {number} [embedding_size] width of the embedding tables (ALBERT, ELECTRA: may differ from hidden_size)
 * @property {boolean} has_tokenizer
 * @property {number} [model_max_length] from tokenizer_config.json (when there is a tokenizer)
 * @property {string} [mask_token] the tokenizer's mask token (when there is a tokenizer)
 * @property {number} [mask_token_id] its id
 * @property {'left' | 'right'} [padding_side] where batches are padded (tokenizer_config.json; XLNet: left)
 * @property {number} [pad_token_type_id] token type id of padding positions (XLNet: 3, else 0)
 */

/**
 * One tokenized text (or text pair). Offsets are [start, end) pairs, 2 per token.
 * @typedef {object} Encoding
 * @property {Int32Array} ids
 * @property {Int32Array} type_ids
 * @property {Int32Array} attention_mask
 * @property {string[]} tokens
 * @property {Int32Array} offsets UTF-16 indices into the text (sequence 0) or the pair (sequence 1)
 * @property {Int32Array} codepoint_offsets the engine's offsets, in Unicode code points
 * @property {Int32Array} sequence_ids 0, 1, or -1 for special tokens
 * @property {Int32Array} word_ids -1 for special tokens
 * @property {boolean} truncated
 */

/**
 * @typedef {object} TokenizeOptions
 * @property {boolean} [add_special_tokens] default true
 * @property {boolean} [truncation] default false
 * @property {number} [max_length] with truncation; default: the model's limit (`maxLength`)
 */

/**
 * @typedef {object} ForwardOptions
 * @property {string | string[] | null} [pairs] second texts, one per text
 * @property {boolean} [output_hidden_states]
 * @property {boolean} [output_attentions]
 * @property {boolean} [truncation] texts only; default true (to `max_length`)
 * @property {number} [max_length] default: the model's limit
 * @property {number[] | null} [logits_for_token_ids] per-token heads (masked LM, token classification):
 *   compute logits only at positions whose input id is one of these (e.g. the mask token); `logits` is
 *   then [positions, n] and `logit_positions` holds their flat indices (b * seq + t)
 * @property {boolean} [output_last_hidden_state] default true. false: only the head's outputs are wanted,
 *   so `last_hidden_state` is not returned, and when the head reads a few rows (a classifier's first token,
 *   `logits_for_token_ids` positions, a pooler) the last layer is computed for those rows alone
 *   (identical outputs, less work)
 */

/**
 * Float32 outputs are {data, dims}; inputs are returned as int32 tensors.
 * @typedef {object} ForwardOutput
 * @property {import('./tensor.js').Tensor} [logits] [batch, num_labels] or [batch, seq, labels|vocab]
 *   (or [positions, labels|vocab] with `logits_for_token_ids`)
 * @property {Int32Array} [logit_positions] with `logits_for_token_ids`: the flat token index of each logits row
 * @property {import('./tensor.js').Tensor} [start_logits] [batch, seq]
 * @property {import('./tensor.js').Tensor} [end_logits] [batch, seq]
 * @property {import('./tensor.js').Tensor} [pooler_output] [batch, hidden]
 * @property {import('./tensor.js').Tensor} [last_hidden_state] [batch, seq, hidden] (base models)
 * @property {import('./tensor.js').Tensor} [hidden_states] [layers + 1, batch, seq, hidden]
 * @property {import('./tensor.js').Tensor} [attentions] [layers, batch, heads, seq, seq]
 * @property {import('./tensor.js').Tensor<Int32Array>} input_ids
 * @property {import('./tensor.js').Tensor<Int32Array>} attention_mask
 * @property {import('./tensor.js').Tensor<Int32Array> | null} token_type_ids
 * @property {import('./tensor.js').Tensor<Int32Array>} [task_type_ids] ERNIE's task type ids, when given
 * @property {Encoding[]} [encodings] when texts were given
 */

/** Copies arrays that are views into wasm memory (they die with the next engine call). */
function own(/** @type {any} */ a) {
  return a && typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer ? a.slice() : a;
}

/**
 * Options of `BertologyModel.load`: the engine thread count, the weights' precision in memory
 * (`dtype`), the engine's limits, plus the model source's options. `sentence_transformers: true` also
 * reads a sentence-transformers model's module files (modules.json, 1_Pooling/, 2_Dense/,
 * config_sentence_transformers.json; the feature-extraction pipeline sets it).
 * `progressive` (default false here, true in `pipeline()`): from a URL or the hub, the model is ready
 * before the whole word-embedding table has downloaded (see `weightsComplete`); the synchronous calls
 * (`forward`, `classify`) then throw NOT_READY for rows not in yet, so a plain load waits for every byte.
 * @typedef {{threads?: number, dtype?: 'fp32' | 'q8', limits?: Record<string, number>, validate_weights?: boolean,
 *   sentence_transformers?: boolean, progressive?: boolean}
 *   & import('./sources/index.js').SourceOptions} LoadOptions
 */

/** Modules whose int8 kernel choice is made or scheduled. @type {WeakSet<object>} */
const int8Chosen = new WeakSet();

/**
 * Makes the runtime's int8 kernel choice after the current task (a relaxed-SIMD build times its two
 * int8 kernels once, 10-60 ms; every choice gives bitwise the same results, and dot_add runs until
 * then): called after an int8 forward, so that the first result never waits for it. In a page, when
 * the main thread is idle (after the result is painted); elsewhere in a later task.
 * @param {import('./runtime.js').Runtime} runtime
 */
function chooseInt8KernelsLater(runtime) {
  const module = runtime.module;
  if (int8Chosen.has(module)) return;
  int8Chosen.add(module);
  const choose = () => {
    try {
      module.kernels();
      mark('int8-kernels');
    } catch {
      // a runtime shut down meanwhile: nothing to choose
    }
  };
  if (typeof requestIdleCallback === 'function') requestIdleCallback(choose, { timeout: 500 });
  else /** @type {any} */ (setTimeout(choose, 0)).unref?.();
}

/**
 * Internal (tests): a model from already opened files, as load() makes it after opening its source —
 * e.g. files whose weights entry carries a `deferred` table; `source` (default null) becomes its origin. Closes the files.
 * @type {(files: import('./sources/common.js').ModelFiles, options?: LoadOptions, source?: import('./files.js').ModelSource | null) => Promise<BertologyModel>}
 */
export let loadFromFiles;

export class BertologyModel {
  /** @type {import('./engine-contract.js').EngineModel | null} */ #handle;
  /** @type {ModelInfo} */ #info;
  /** @type {import('./model-load.js').ModelExtras} */ #extras;
  /** @type {'left' | 'right' | undefined} */ #paddingSide;
  /** @type {import('./limits.js').CallLimits} */ #limits;
  /** @type {{source: import('./files.js').ModelSource, options: LoadOptions} | null} */ #origin = null;
  /** @type {ProgressiveTable | null} word-embedding rows still downloading (progressive loading) */ #progressive = null;

  /**
   * @param {any} handle the engine's model
   * @param {import('./runtime.js').Runtime} runtime
   * @param {import('./model-load.js').ModelExtras} [extras] config.json and sentence-transformers files as read by load()
   * @param {Record<string, number>} [limits] the load option `limits` (its JS-checked part is kept here)
   */
  constructor(handle, runtime, extras = { config: {}, sentence_transformers: null }, limits = undefined) {
    this.#handle = handle;
    this.runtime = runtime;
    this.#info = JSON.parse(handle.info());
    this.#extras = extras;
    this.#limits = Object.freeze(callLimits(limits));
  }

  /**
   * The per-call limits checked in JS (max_texts, max_chars, max_windows: js/limits.js), defaults
   * overridden by the load option `limits`.
   * @returns {Readonly<import('./limits.js').CallLimits>}
   */
  get limits() { return this.#limits; }

  /**
   * Loads a model from a local directory (Node), a base URL, a Hugging Face model id ("org/name"),
   * or its files as bytes (see docs/loading.md). `model.runtime` tells which wasm build
   * and how many threads are used.
   * @param {import('./files.js').ModelSource} source
   * @param {LoadOptions} [options]
   * @returns {Promise<BertologyModel>}
   */
  static async load(source, options = {}) {
    checkModelLoadOptions(options);
    const { runtime, files, early } = await openModelSource(source, options);
    return BertologyModel.#fromFiles(runtime, files, early, source, options);
  }

  /**
   * The rest of load() once the files are open: the engine load (js/model-load.js), the model, its
   * progressive table when the weights carry a deferred one. Closes `files` (or hands them to the
   * progressive table) and releases `early`.
   * @param {import('./runtime.js').Runtime} runtime
   * @param {import('./sources/common.js').ModelFiles} files
   * @param {import('./files.js').EarlyStore | null} early
   * @param {import('./files.js').ModelSource | null} source
   * @param {LoadOptions} [options]
   * @returns {Promise<BertologyModel>}
   */
  static async #fromFiles(runtime, files, early, source, options) {
    const { handle, extras, deferred } = await loadEngine(runtime, files, early, options);
    let model;
    try {
      model = new BertologyModel(handle, runtime, extras, options?.limits);
      const { progress_callback: _p, signal: _s, ...sourceOptions } = options ?? {};
      if (source !== null) model.#origin = { source, options: sourceOptions };
    } catch (e) {
      handle.delete();
      if (deferred) files.close();
      throw e;
    }
    if (deferred) {
      const self = model;
      model.#progressive = new ProgressiveTable(() => self.#handle, deferred, () => files.close());
    }
    emit(options?.progress_callback, { status: 'ready', name: files.name, model: files.name });
    return model;
  }

  static {
    loadFromFiles = async (files, options, source = null) => {
      let runtime;
      try {
        runtime = await getRuntime({ threads: options?.threads });
      } catch (e) {
        files.close();
        throw e;
      }
      return BertologyModel.#fromFiles(runtime, files, null, source, options);
    };
  }

  /**
   * Progressive loading: resolves once every row of the word-embedding table is in the engine (at once
   * for a model loaded whole). Until then the pipelines fetch the rows their inputs need first; the calls
   * that need the whole table (explanations, training) wait for it. Rejects with the source's error when
   * the rest of the file cannot be downloaded (then only rows already present, or fetched on demand, work).
   * @returns {Promise<void>}
   */
  get weightsComplete() { return this.#progressive?.complete ?? Promise.resolve(); }

  /** Rows of the word-embedding table not downloaded yet (0 when complete). */
  get weightsPending() { return this.#progressive?.pending ?? 0; }

  /**
   * Progressive loading: makes the word-embedding rows of these token ids present, downloading them
   * first if need be (the pipelines call it before each forward pass). Resolves at once when the table
   * is complete. Rejects with the source's error (NETWORK, ABORTED, BAD_RESPONSE) or the engine's.
   * @param {ArrayLike<number> | Array<ArrayLike<number>>} ids token ids, or several lists of them
   * @returns {Promise<void>}
   */
  async ensureWeights(ids) {
    const table = this.#progressive;
    if (!table || table.pending === 0) return;
    if (!this.#handle) throw new BertologyError('model used after dispose()', { code: 'DISPOSED' });
    const lists = Array.isArray(ids) && ids.length > 0 && typeof ids[0] === 'object' ? /** @type {Array<ArrayLike<number>>} */ (ids) : [ids];
    // Batches are padded with the pad token: its row is needed as soon as two lengths differ.
    /** @type {number[]} */
    const all = this.#info.pad_token_id >= 0 ? [this.#info.pad_token_id] : [];
    for (const list of lists) for (let i = 0; i < list.length; i++) all.push(Number(/** @type {any} */ (list)[i]));
    await table.ensure(all);
  }

  /** The engine handle (for tests and advanced use); throws after dispose(). */
  get raw() {
    if (!this.#handle) throw new BertologyError('model used after dispose()', { code: 'DISPOSED' });
    return this.#handle;
  }

  /** @returns {ModelInfo} */
  get info() { return this.#info; }

  /**
   * Where the model was loaded from and with which source options (the trainer reads the checkpoint's
   * files again to save a fine-tuned copy); null for a model made from an engine handle.
   */
  get origin() { return this.#origin; }

  /** config.json as the model's files hold it (parsed; fields the engine ignores included). */
  get config() { return this.#extras.config; }

  /**
   * The sentence-transformers configuration (modules.json and its files), or null when the model
   * has none or was loaded without `sentence_transformers: true`.
   */
  get sentenceTransformers() { return this.#extras.sentence_transformers; }

  /** The longest input (in tokens, specials included) texts are truncated to. */
  get maxLength() {
    const { model_max_length: tok, max_position_embeddings: pos, model_type: type, max_sequence_length: seq } = this.#info;
    const positions = seq !== undefined && seq > 0 ? seq : type === 'roberta' ? pos - 2 : pos;
    return tok !== undefined && tok > 0 ? Math.min(tok, positions) : positions;
  }

  /**
   * Which end of a row texts are padded at when a batch is run: the tokenizer's `padding_side`
   * (tokenizer_config.json; XLNet's tokenizer pads on the left), 'right' without a tokenizer.
   * Settable, as transformers' `tokenizer.padding_side` is.
   * @returns {'left' | 'right'}
   */
  get padding_side() { return this.#paddingSide ?? this.#info.padding_side ?? 'right'; }

  set padding_side(side) {
    check(side === 'left' || side === 'right', `padding_side must be 'left' or 'right', got ${side}`);
    this.#paddingSide = side;
  }

  /**
   * @param {string | Uint8Array} text
   * @param {string | Uint8Array | null} [pair]
   * @param {TokenizeOptions} [options]
   * @returns {Encoding}
   */
  tokenize(text, pair = null, { add_special_tokens = true, truncation = false, max_length } = {}) {
    check(typeof text === 'string' || text instanceof Uint8Array, 'tokenize: text must be a string or Uint8Array');
    check(pair == null || typeof pair === 'string' || pair instanceof Uint8Array, 'tokenize: pair must be a string or Uint8Array');
    checkTextLength(text, this.#limits, 'tokenize');
    if (pair != null) checkTextLength(pair, this.#limits, 'tokenize');
    // Lone surrogates become U+FFFD (same UTF-16 length: offsets stay indices into the caller's text).
    const first = engineText(text);
    const second = engineText(pair ?? null);
    const opts = JSON.stringify({ add_special_tokens, truncation, max_length: truncation ? (max_length ?? this.maxLength) : 0 });
    const r = unwrap(this.raw.tokenize(first, second, opts), 'tokenize');
    return this.#encoding(r, [first, second]);
  }

  /**
   * Question-answering windows: [CLS] question [SEP] context-chunk [SEP], each chunk starting
   * `stride` tokens before the previous one ends.
   * @param {string | Uint8Array} question
   * @param {string | Uint8Array} context
   * @param {{max_length?: number, stride?: number}} [options]
   * @returns {Encoding[]}
   */
  tokenizeWindows(question, context, { max_length = this.maxLength, stride = 128 } = {}) {
    check((typeof question === 'string' || question instanceof Uint8Array) && (typeof context === 'string' || context instanceof Uint8Array),
      'tokenizeWindows: question and context must be strings (or Uint8Arrays of UTF-8)');
    checkTextLength(question, this.#limits, 'tokenizeWindows');
    checkTextLength(context, this.#limits, 'tokenizeWindows');
    const texts = [engineText(question), engineText(context)];
    const r = unwrap(this.raw.tokenizeWindows(texts[0], texts[1], max_length, stride), 'tokenizeWindows');
    return r.windows.map((/** @type {any} */ w) => this.#encoding(w, texts));
  }

  /**
   * @param {any} r engine encoding
   * @param {(string | Uint8Array | null | undefined)[]} texts
   * @returns {Encoding}
   */
  #encoding(r, texts) {
    const strings = texts.map((t) => (t instanceof Uint8Array ? decodeUtf8(t) : t ?? ''));
    const codepoint_offsets = own(r.offsets);
    const sequence_ids = own(r.sequence_ids);
    return {
      ids: own(r.ids), type_ids: own(r.type_ids), attention_mask: own(r.attention_mask),
      tokens: Array.from(r.tokens), offsets: toUtf16Offsets(codepoint_offsets, sequence_ids, strings),
      codepoint_offsets, sequence_ids, word_ids: own(r.word_ids), truncated: Boolean(r.truncated),
    };
  }

  /**
   * Runs the model on texts (tokenized, truncated, padded to the longest) or on ids.
   * @param {string | string[] | {input_ids: import('./batch.js').IdsLike, attention_mask?: import('./batch.js').IdsLike | null, token_type_ids?: import('./batch.js').IdsLike | null, task_type_ids?: import('./batch.js').IdsLike | null}} inputs
   * @param {ForwardOptions} [options]
   * @returns {ForwardOutput}
   */
  forward(inputs, { pairs = null, output_hidden_states = false, output_attentions = false, truncation = true, max_length,
    logits_for_token_ids = null, output_last_hidden_state = true } = {}) {
    if (typeof inputs === 'string' || Array.isArray(inputs)) {
      const texts = typeof inputs === 'string' ? [inputs] : inputs;
      checkTextCount(texts.length, this.#limits, 'forward');
      const seconds = pairs == null ? null : typeof pairs === 'string' ? [pairs] : pairs;
      check(!seconds || seconds.length === texts.length, `forward: ${texts.length} texts but ${seconds?.length} pairs`);
      const encodings = texts.map((t, i) => this.tokenize(t, seconds ? seconds[i] : null, { truncation, max_length }));
      return this.forwardEncodings(encodings,
        { output_hidden_states, output_attentions, logits_for_token_ids, output_last_hidden_state });
    }
    check(inputs && typeof inputs === 'object' && 'input_ids' in inputs, 'forward: expected text(s) or {input_ids, ...}');
    return this.#run(idsInputs(inputs, this.#info),
      { output_hidden_states, output_attentions, logits_for_token_ids, output_last_hidden_state });
  }

  /**
   * Runs the model on encodings from `tokenize`, padded to the longest.
   * @param {Encoding[]} encodings
   * @param {{output_hidden_states?: boolean, output_attentions?: boolean, logits_for_token_ids?: number[] | null, output_last_hidden_state?: boolean}} [options]
   * @returns {ForwardOutput}
   */
  forwardEncodings(encodings, options = {}) {
    check(encodings.length > 0, 'forward: empty batch');
    const batch = padEncodings(encodings, this.#info.pad_token_id,
      { side: this.padding_side, padTypeId: this.#info.pad_token_type_id ?? 0 });
    // Models without token type embeddings (DistilBERT) take no token types, as in Hugging Face, even
    // when the tokenizer marks the second text of a pair with type 1.
    const info = /** @type {any} */ (this.#info);
    if (!(info.uses_token_type_ids ?? info.type_vocab_size > 0)) batch.typeIds = null;
    const out = this.#run(batch, options);
    out.encodings = encodings;
    return out;
  }

  /**
   * @param {import('./batch.js').BatchInputs} batch
   * @param {{output_hidden_states?: boolean, output_attentions?: boolean, logits_for_token_ids?: number[] | null, output_last_hidden_state?: boolean}} options
   * @returns {ForwardOutput}
   */
  #run(batch, { output_hidden_states = false, output_attentions = false, logits_for_token_ids = null,
    output_last_hidden_state = true }) {
    const flags = (output_hidden_states ? FORWARD_FLAGS.OUTPUT_HIDDEN_STATES : 0) |
      (output_attentions ? FORWARD_FLAGS.OUTPUT_ATTENTIONS : 0) | (output_last_hidden_state ? 0 : FORWARD_FLAGS.HEAD_ONLY);
    const { ids, typeIds, mask, batch: b, seq, taskTypeIds = null } = batch;
    /** @type {Int32Array | null} */
    let positions = null;
    if (logits_for_token_ids != null) {
      check(Array.isArray(logits_for_token_ids), 'forward: logits_for_token_ids must be an array of token ids');
      const wanted = new Set(logits_for_token_ids);
      const at = [];
      for (let i = 0; i < ids.length; i++) if (wanted.has(ids[i])) at.push(i);
      positions = Int32Array.from(at);
    }
    // Progressive loading: rows whose bytes have arrived are filled now; a row still downloading makes
    // the engine answer NOT_READY (the pipelines await ensureWeights first).
    // Such an error carries `rows`: the token ids still pending (what ensureWeights needs for this call).
    const pendingRows = this.#progressive && this.#progressive.pending > 0
      ? this.#progressive.fillAvailable(this.#progressive.missing(ids)) : [];
    /** @type {Record<string, any>} the engine's EngineForwardOutput, read by name below */
    let r;
    try {
      r = unwrap(this.raw.forward(ids, typeIds, mask, b, seq, flags, positions, taskTypeIds), 'forward');
    } catch (e) {
      if (/** @type {any} */ (e)?.code === 'NOT_READY' && pendingRows.length > 0) /** @type {any} */ (e).rows = pendingRows;
      throw e;
    }
    // A relaxed-SIMD build times its int8 kernels after the first int8 result, not before it.
    if (this.#info.dtype === 'q8') chooseInt8KernelsLater(this.runtime);
    /** @type {ForwardOutput & Record<string, any>} */
    const out = {
      input_ids: tensor(ids, [b, seq]), attention_mask: tensor(mask, [b, seq]),
      token_type_ids: typeIds ? tensor(typeIds, [b, seq]) : null,
    };
    if (taskTypeIds) out.task_type_ids = tensor(taskTypeIds, [b, seq]);
    const { num_layers: layers, num_heads: heads, hidden_size: hidden, head } = this.#info;
    const shapeOf = (/** @type {string} */ name, /** @type {number[]} */ fallback) =>
      r[`${name}_shape`] ? Array.from(r[`${name}_shape`], Number) : fallback;
    const take = (/** @type {string} */ name, /** @type {string} */ as, /** @type {number[]} */ fallback) => {
      if (r[name]) out[as] = tensor(own(r[name]), shapeOf(name, fallback));
    };
    const perRow = r.logits ? r.logits.length / b : 0;
    take('logits', 'logits', head === 'sequence_classification' ? [b, perRow] : [b, seq, perRow / seq]);
    if (positions) out.logit_positions = positions;
    take('start_logits', 'start_logits', [b, seq]);
    take('end_logits', 'end_logits', [b, seq]);
    take('pooled', 'pooler_output', [b, hidden]);
    take('hidden_states', 'hidden_states', [layers + 1, b, seq, hidden]);
    take('attentions', 'attentions', [layers, b, heads, seq, seq]);
    take('last_hidden_state', 'last_hidden_state', [b, seq, hidden]);
    if (head === 'base' && !out.last_hidden_state && out.logits) out.last_hidden_state = out.logits;
    return out;
  }

  /**
   * Text classification scores: softmax over the labels, or sigmoid for multi-label models.
   * One text gives one list; an array gives one list per text. Each list is sorted by score.
   * @param {string | string[]} texts
   * @param {import('./classify.js').ClassifyOptions} [options]
   */
  classify(texts, options) {
    return classify(this, texts, options);
  }

  /**
   * Token ids back to text (WordPiece "##" pieces joined, as the tokenizer's decoder does).
   * @param {ArrayLike<number>} ids
   * @param {{skip_special_tokens?: boolean}} [options]
   * @returns {string}
   */
  decode(ids, { skip_special_tokens = false } = {}) {
    return this.raw.decode(ids instanceof Int32Array ? ids : int32Ids(ids, 'decode'), skip_special_tokens);
  }

  /** @param {number} id @returns {string} the vocabulary entry ('' if none) */
  idToToken(id) { return this.raw.idToToken(int32Ids([id], 'idToToken')[0]); }

  /** @param {string} token @returns {number} its id, or -1 if not in the vocabulary */
  tokenToId(token) {
    check(typeof token === 'string', `tokenToId: token must be a string, got ${typeof token}`);
    return this.raw.tokenToId(engineText(token));
  }

  /**
   * Memory accounting, in bytes: `weights` (this model's packed weights), `workspace` (its activation
   * arena, sized at load for the longest sequence), and for the whole wasm runtime it shares with
   * other models: `heap_in_use` (bytes the allocator has handed out now) and `heap_size` (the wasm
   * memory, which only grows: its peak).
   * @returns {{weights: number, workspace: number, heap_in_use: number, heap_size: number}}
   */
  memoryUsage() {
    const own = JSON.parse(this.raw.memoryUsage());
    const heap = JSON.parse(this.runtime.module.heapStats());
    return { weights: own.weights, workspace: own.workspace, heap_in_use: heap.in_use_bytes, heap_size: heap.heap_bytes };
  }

  /** Frees the model's wasm memory. The runtime (and other models on it) stay usable. */
  dispose() {
    if (this.#handle) {
      releaseExplainer(this);  // its backward weights refer to this model
      this.#handle.delete();
      this.#handle = null;
    }
  }
}
