// feature-extraction / embeddings: the last hidden state as a transformers.js-style Tensor, optionally
// pooled ([CLS] token or mask-aware mean) and L2-normalized — or, for sentence-transformers models,
// the model's own module chain (Pooling, Dense, Normalize; js/sentence-transformers.js) with its
// prompts; then Matryoshka truncation, normalization and quantization (sentence-transformers' encode()).

import { check } from '../errors.js';
import { forwardBatched, ensureIdsWeights, forwardIds, isIdsInput, Pipeline, rowStart, textInputs, withExtras } from './common.js';
import { Tensor } from '../tensor.js';
import { denseForward, normalizeInPlace, poolRow, sentenceModules } from '../sentence-transformers.js';
import { PRECISIONS, SIMILARITY_FUNCTIONS, quantizeEmbeddings } from '../similarity.js';
import { maxLengthOption, textWindows, withMetadata } from './long-text.js';

/**
 * @typedef {object} FeatureExtractionOptions
 * @property {'none' | 'cls' | 'first_token' | 'mean'} [pooling] default "none" ([batch, seq, hidden] padded to
 *   the longest input), or for sentence-transformers models the model's own pooling and modules
 *   ([batch, dim]); "cls" / "mean": [batch, hidden]
 * @property {boolean} [normalize] L2-normalize each vector at the end (default false)
 * @property {boolean} [truncation] truncate texts to the model's limit (default true)
 * @property {boolean} [sentence_transformers] apply the model's sentence-transformers modules (default:
 *   when the model has modules.json)
 * @property {string} [prompt] text put before every input (sentence-transformers' prompt)
 * @property {string} [prompt_name] a prompt of config_sentence_transformers.json by name
 * @property {number} [truncate_dim] keep the first `truncate_dim` dimensions (Matryoshka)
 * @property {import('../similarity.js').Precision} [precision] default "float32"
 * @property {import('../similarity.js').EmbeddingsLike} [ranges] int8/uint8 ranges [2, dim] (default: from this call's embeddings)
 * @property {import('../similarity.js').EmbeddingsLike} [calibration_embeddings] int8/uint8: take the ranges from these
 * @property {'truncate' | 'chunk'} [long_text] texts longer than the model: "truncate" (default) reads the
 *   first max_length tokens; "chunk" embeds overlapping windows and averages them (weighted by their text tokens)
 * @property {number} [stride] with long_text "chunk": tokens shared by consecutive windows (default 0)
 * @property {number} [max_length] truncation / window length in tokens (default: the model's limit, or a
 *   sentence-transformers model's max_seq_length)
 * @property {boolean} [return_metadata] make each row's {tokens, max_length, truncated, chunks} an enumerable `metadata`
 */

const POOLINGS = ['none', 'cls', 'first_token', 'mean'];

export class FeatureExtractionPipeline extends Pipeline {
  static OPTIONS = ['pooling', 'normalize', 'truncation', 'sentence_transformers', 'prompt', 'prompt_name', 'truncate_dim',
    'precision', 'ranges', 'calibration_embeddings', 'long_text', 'stride', 'max_length', 'return_metadata'];

  /** The model's sentence-transformers prompts (name → text); empty for other models. */
  get prompts() { return { ...(this.model.sentenceTransformers?.prompts ?? {}) }; }

  /** The model's similarity function name ("cosine" unless config_sentence_transformers.json says otherwise). */
  get similarity_fn_name() { return this.model.sentenceTransformers?.similarity_fn_name ?? 'cosine'; }

  /**
   * Scores every row of `a` against every row of `b` with the model's similarity function
   * (sentence-transformers' model.similarity).
   * @param {import('../similarity.js').EmbeddingsLike} a
   * @param {import('../similarity.js').EmbeddingsLike} b
   */
  similarity(a, b) {
    const fn = /** @type {Record<string, Function>} */ (SIMILARITY_FUNCTIONS)[this.similarity_fn_name];
    check(typeof fn === 'function', `${this.task}: unknown similarity_fn_name "${this.similarity_fn_name}"`);
    return fn(a, b);
  }

  /**
   * @param {string | string[] | import('./common.js').IdsInput} inputs
   * @param {FeatureExtractionOptions & import('./common.js').OutputOptions} [options]
   * @returns {Promise<Tensor>}
   */
  async _call(inputs, options) {
    const opts = this.options(options);
    const plan = this.plan(opts);
    const { pooling, hidden, maxLength } = plan;

    /** @type {{data: Float32Array, tokens: number, weight: number}[]} per encoding: its vectors (tokens of them) */
    const rows = [];
    const onRow = (/** @type {number} */ i, /** @type {any} */ out, /** @type {number} */ b) => {
      const state = out.last_hidden_state;
      check(state, 'feature-extraction: the engine returned no last_hidden_state');
      const seq = state.dims[1];
      // The row without its left padding (XLNet pads on the left): pooling 'cls' reads its first token.
      const from = rowStart(out, b);
      const mask = out.attention_mask.data.subarray(b * seq + from, (b + 1) * seq);
      const x = state.data.subarray((b * seq + from) * hidden, (b + 1) * seq * hidden);
      const weight = plan.encodings ? plan.encodings[i].sequence_ids.filter((s) => s >= 0).length : 1;
      if (pooling === 'none') {
        let n = seq - from;
        while (n > 0 && !mask[n - 1]) n--;
        rows[i] = { data: x.slice(0, n * hidden), tokens: n, weight };
      } else if (plan.st) {
        const m = Int32Array.from(mask);
        // include_prompt: false — the prompt's tokens (at the start of an input's first window) are not pooled.
        if (!plan.st.pooling.include_prompt && plan.promptRows.has(i)) m.fill(0, 0, Math.min(plan.promptLength, seq - from));
        let v = poolRow(x, m, hidden, plan.st.pooling.modes);
        for (const mod of plan.st.perChunk) v = mod.kind === 'Dense' ? denseForward(mod, v) : normalizeInPlace(v);
        rows[i] = { data: v, tokens: 1, weight };
      } else {
        rows[i] = { data: poolRow(x, mask, hidden, [pooling === 'first_token' ? 'cls' : pooling]), tokens: 1, weight };
      }
    };

    let extras;
    /** @type {import('./long-text.js').InputMetadata[]} */
    let metadata = [];
    /** @type {number[][]} each input's encodings (several when chunked) */
    let groups;
    if (isIdsInput(inputs)) {
      check(!plan.prompt && plan.longText === 'truncate', `${this.task}: prompts and long_text "chunk" need text inputs, not token ids`);
      await ensureIdsWeights(this.model, inputs);
      const r = forwardIds(this.model, inputs, { ...opts, output_last_hidden_state: true }, onRow);
      extras = r.extras;
      groups = rows.map((_, i) => [i]);
      const seq = r.out.input_ids.dims[1];
      metadata = groups.map(() => ({ tokens: seq, max_length: maxLength, truncated: false }));
    } else {
      const { texts } = textInputs(inputs, this.task);
      this.requireTokenizer();
      const prepared = this.prepare(texts, plan);
      plan.encodings = prepared.encodings;
      groups = prepared.groups;
      metadata = prepared.metadata;
      extras = await forwardBatched(this.model, prepared.encodings, { ...opts, output_last_hidden_state: true }, onRow);
    }

    let result;
    if (pooling === 'none') {
      const seq = Math.max(...rows.map((r) => r.tokens));
      const data = new Float32Array(rows.length * seq * hidden);
      rows.forEach((r, i) => data.set(r.data, i * seq * hidden));
      result = new Tensor(data, [rows.length, seq, hidden]);
    } else {
      const vectors = groups.map((g) => this.finish(g.map((i) => rows[i]), plan, opts));
      const dim = vectors[0].length;
      const data = new Float32Array(vectors.length * dim);
      vectors.forEach((v, i) => data.set(v, i * dim));
      result = new Tensor(data, [vectors.length, dim]);
      if (plan.precision !== 'float32') {
        result = quantizeEmbeddings(result, plan.precision, { ranges: opts.ranges, calibration_embeddings: opts.calibration_embeddings });
      }
    }
    return withMetadata(withExtras(result, extras), metadata, opts.return_metadata === true);
  }

  /**
   * Resolves the options of a call into what to do.
   * @param {Record<string, any>} opts
   */
  plan(opts) {
    const { normalize = false, truncation = true, precision = 'float32', long_text: longText = 'truncate', stride = 0 } = opts;
    const config = opts.sentence_transformers === false ? null : this.model.sentenceTransformers;
    check(opts.sentence_transformers === undefined || typeof opts.sentence_transformers === 'boolean',
      `${this.task}: sentence_transformers must be true or false`);
    if (opts.sentence_transformers === true && !config) {
      check(false, `${this.task}: this model has no sentence-transformers files (modules.json); load it through `
        + 'pipeline("feature-extraction", ...) or BertologyModel.load(..., {sentence_transformers: true})');
    }
    check(PRECISIONS.includes(precision), `${this.task}: precision must be one of ${PRECISIONS.join(', ')}, got ${precision}`);
    check(longText === 'truncate' || longText === 'chunk', `${this.task}: long_text must be "truncate" or "chunk", got ${longText}`);
    check(longText === 'chunk' || stride === 0, `${this.task}: stride needs long_text: "chunk"`);
    check(typeof normalize === 'boolean', `${this.task}: normalize must be true or false`);
    const hidden = this.model.info.hidden_size;

    let pooling = opts.pooling;
    /** @type {null | {pooling: import('../sentence-transformers.js').PoolingModule, perChunk: any[], finalNormalize: boolean}} */
    let st = null;
    if (config) {
      const { pooling: p, after } = sentenceModules(config);
      const own = p.modes.length === 1 ? p.modes[0] : null;
      const asked = pooling === 'first_token' ? 'cls' : pooling;
      if (pooling !== undefined && pooling !== 'none' && asked !== own) {
        check(false, `${this.task}: this sentence-transformers model pools with ${p.modes.join(' + ')} (its Pooling module), not `
          + `"${pooling}"; leave pooling out for the model's embeddings, or pass sentence_transformers: false to pool the encoder's output yourself`);
      }
      if (pooling !== 'none') {
        const finalNormalize = after.at(-1)?.kind === 'Normalize';
        st = { pooling: p, perChunk: finalNormalize ? after.slice(0, -1) : after, finalNormalize };
        pooling = 'sentence_transformers';
      }
    }
    pooling ??= 'none';
    check(pooling === 'sentence_transformers' || POOLINGS.includes(pooling),
      `${this.task}: pooling must be one of ${POOLINGS.join(', ')}, got ${pooling}`);
    if (pooling === 'none') {
      check(opts.truncate_dim === undefined && precision === 'float32' && !normalize,
        `${this.task}: truncate_dim, precision and normalize apply to pooled embeddings (pooling "none" returns token embeddings)`);
      check(longText === 'truncate', `${this.task}: long_text "chunk" needs pooled embeddings (a pooling other than "none")`);
    }
    if (opts.truncate_dim !== undefined && opts.truncate_dim !== null) {
      check(Number.isInteger(opts.truncate_dim) && opts.truncate_dim > 0, `${this.task}: truncate_dim must be a positive integer`);
    }
    const prompt = this.resolvePrompt(opts, config);
    const stMax = config?.max_seq_length ?? null;
    const maxLength = maxLengthOption(opts.max_length, this.model.maxLength, this.task,
      stMax ? Math.min(stMax, this.model.maxLength) : this.model.maxLength);
    return {
      pooling, hidden, st, normalize, truncation, precision, longText, stride, prompt, maxLength,
      lowerCase: Boolean(config?.do_lower_case), promptLength: 0, promptRows: /** @type {Set<number>} */ (new Set()),
      /** @type {import('../model.js').Encoding[] | null} */ encodings: null,
    };
  }

  /**
   * The prompt text of a call: `prompt`, else `prompt_name`, else the model's default prompt.
   * @param {Record<string, any>} opts
   * @param {import('../sentence-transformers.js').SentenceTransformersConfig | null} config
   */
  resolvePrompt(opts, config) {
    if (opts.prompt !== undefined && opts.prompt !== null) {
      check(typeof opts.prompt === 'string', `${this.task}: prompt must be a string`);
      return opts.prompt;
    }
    const prompts = config?.prompts ?? {};
    if (opts.prompt_name !== undefined && opts.prompt_name !== null) {
      check(Object.hasOwn(prompts, opts.prompt_name), `${this.task}: prompt_name "${opts.prompt_name}" is not among the model's prompts `
        + `(${Object.keys(prompts).join(', ') || 'none: no config_sentence_transformers.json prompts'})`);
      return prompts[opts.prompt_name];
    }
    return config?.default_prompt_name ? prompts[config.default_prompt_name] ?? '' : '';
  }

  /**
   * Tokenizes the texts (prompt, lower-casing, truncation or windows) and describes each input.
   * @param {string[]} texts
   * @param {ReturnType<FeatureExtractionPipeline['plan']>} plan
   */
  prepare(texts, plan) {
    const { prompt, lowerCase, maxLength, longText, stride, truncation } = plan;
    const prep = (/** @type {string} */ t) => (lowerCase ? t.toLowerCase() : t);
    if (prompt) {
      const p = this.model.tokenize(prep(prompt), null, {});
      plan.promptLength = p.ids.length - (p.sequence_ids[p.ids.length - 1] < 0 ? 1 : 0);
    }
    /** @type {import('../model.js').Encoding[]} */
    const encodings = [];
    /** @type {number[][]} */
    const groups = [];
    /** @type {import('./long-text.js').InputMetadata[]} */
    const metadata = [];
    for (const text of texts) {
      const full = prep(prompt + text);
      if (longText === 'chunk') {
        const whole = this.model.tokenize(full, null, {});
        const windows = textWindows(whole, maxLength, stride);
        groups.push(windows.map((w) => encodings.push(w) - 1));
        plan.promptRows.add(encodings.length - windows.length);
        metadata.push({ tokens: whole.ids.length, max_length: maxLength, truncated: false, chunks: windows.length });
      } else {
        const e = this.model.tokenize(full, null, { truncation, max_length: maxLength });
        const tokens = e.truncated ? this.model.tokenize(full, null, {}).ids.length : e.ids.length;
        plan.promptRows.add(encodings.push(e) - 1);
        groups.push([encodings.length - 1]);
        metadata.push({ tokens, max_length: maxLength, truncated: e.truncated });
      }
    }
    return { encodings, groups, metadata };
  }

  /**
   * One input's embedding from its chunks' vectors: their mean weighted by text tokens, the model's
   * final Normalize, truncate_dim, then normalize.
   * @param {{data: Float32Array, weight: number}[]} chunks
   * @param {ReturnType<FeatureExtractionPipeline['plan']>} plan
   * @param {Record<string, any>} opts
   */
  finish(chunks, plan, opts) {
    let v = chunks[0].data;
    if (chunks.length > 1) {
      const total = chunks.reduce((s, c) => s + Math.max(c.weight, 1), 0);
      const sum = new Float64Array(v.length);
      for (const c of chunks) for (let k = 0; k < v.length; k++) sum[k] += c.data[k] * Math.max(c.weight, 1);
      v = Float32Array.from(sum, (x) => x / total);
    }
    if (plan.st?.finalNormalize) normalizeInPlace(v);
    if (opts.truncate_dim) v = v.slice(0, Math.min(opts.truncate_dim, v.length));
    if (plan.normalize) normalizeInPlace(v);
    return v;
  }
}
