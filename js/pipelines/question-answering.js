// question-answering: Hugging Face's QuestionAnsweringPipeline decoding over overlapping windows
// ([CLS] question [SEP] context-chunk [SEP]): non-context logits (except [CLS]) set to -10000, start
// and end softmaxed per window, [CLS] zeroed, spans s <= e < s + max_answer_len scored p_start·p_end,
// the best spans over all windows kept; text from the tokens' offsets or their whole words.

import { BertologyError, check } from '../errors.js';
import { describe, forwardBatched, Pipeline, rowStart, withExtras } from './common.js';
import { questionWindows, withMetadata } from './long-text.js';
import { limitError } from '../limits.js';

/**
 * @typedef {object} QuestionAnsweringOutput
 * @property {string} answer the context between start and end
 * @property {number} score p_start · p_end of the span
 * @property {number} start JS string index in the context
 * @property {number} end
 */

/**
 * @typedef {object} QuestionAnsweringOptions
 * @property {number} [top_k] answers per question (default 1; more gives a list)
 * @property {number} [max_seq_len] window length in tokens (default min(384, model limit))
 * @property {number} [doc_stride] tokens shared by consecutive windows (default min(128, max_seq_len / 2))
 * @property {number} [max_answer_len] longest answer in tokens (default 15)
 * @property {boolean} [align_to_words] widen answers to whole words (default true)
 * @property {boolean} [handle_impossible_answer] allow the empty answer (default false)
 * @property {number} [max_question_len] cut questions to this many tokens (default: no limit; Hugging Face
 *   documents 64 but applies it only with slow tokenizers)
 * @property {boolean} [return_metadata] make each result's {tokens, max_length, truncated, chunks} enumerable
 */

/** @typedef {{question: string, context: string}} QuestionContext */

/**
 * One window's decoding inputs: its encoding and its start/end logits.
 * @typedef {{encoding: import('../model.js').Encoding, start: Float32Array, end: Float32Array}} WindowLogits
 */

export class QuestionAnsweringPipeline extends Pipeline {
  static OPTIONS = ['top_k', 'max_seq_len', 'doc_stride', 'max_answer_len', 'align_to_words', 'handle_impossible_answer',
    'max_question_len', 'return_metadata', 'max_windows'];

  /**
   * `pipe(question, context, options?)`, `pipe({question, context}, options?)`, or arrays of either
   * (questions[] with contexts[] or one shared context).
   * @param {any} a
   * @param {any} [b]
   * @param {any} [c]
   */
  async _call(a, b, c) {
    const { items, single, options } = qaInputs(a, b, c);
    const opts = this.options(options);
    const settings = this.settings(opts);
    const { logits, extras } = await this.logits(items, settings, opts);
    const answers = items.map((x, i) => {
      const w = logits[i];
      const read = w[0].encoding.sequence_ids.filter((q) => q === 0).length;
      return withMetadata(/** @type {object} */ (this.decode(x.context, w, settings)), {
        tokens: this.model.tokenize(x.question, x.context, {}).ids.length, max_length: settings.max_seq_len, chunks: w.length,
        truncated: read < this.questionTokens(x.question),
      }, opts.return_metadata === true);
    });
    return withExtras(single ? answers[0] : answers, extras);
  }

  /**
   * Tokenizes every question/context pair into windows and runs the model over all of them
   * (batched by length); returns each pair's windows with their start/end logits.
   * @param {QuestionContext[]} items
   * @param {{max_seq_len: number, doc_stride: number, max_question_len?: number | null}} settings
   * @param {import('./common.js').OutputOptions & {max_windows?: number, progress_callback?: (event: any) => void}} [outputs]
   *   max_windows: this call's bound on the windows of all its items (default: the model's limits.max_windows)
   * @returns {Promise<{logits: WindowLogits[][], extras: import('./common.js').Extras}>}
   */
  async logits(items, settings, outputs = {}) {
    this.requireTokenizer();
    const max = outputs.max_windows ?? this.model.limits.max_windows;
    const tooMany = (/** @type {number} */ count) => limitError('question-answering',
      `${items.length === 1 ? 'the context needs' : 'the contexts need'} ${count} windows of ${settings.max_seq_len} tokens `
      + `(doc_stride ${settings.doc_stride})`, 'max_windows', count, max, `or the call option {max_windows: ${count}}, or shorten the context`);
    // Before any window is built (a 1 MB context has ~1000): count them when the contexts could need too many.
    const estimate = this.windowCount(items, settings, max);
    if (estimate > max) throw tooMany(estimate);
    const windows = items.map((x) => this.windows(x, settings));
    const count = windows.reduce((n, w) => n + w.length, 0);
    if (count > max) throw tooMany(count);
    /** @type {WindowLogits[][]} */
    const logits = windows.map((w) => w.map((encoding) => ({ encoding, start: new Float32Array(0), end: new Float32Array(0) })));
    const flat = windows.flat();
    const where = windows.flatMap((w, i) => w.map((_, j) => [i, j]));
    const extras = await forwardBatched(this.model, flat, { ...outputs, task: 'question-answering', unit: 'windows' }, (k, out, r) => {
      const [i, j] = where[k];
      const seq = out.input_ids.dims[1];
      const n = flat[k].ids.length;
      if (!out.start_logits || !out.end_logits) throw new BertologyError('question-answering: the engine returned no start/end logits');
      const at = r * seq + rowStart(out, r);  // left padding (XLNet): the window's tokens end the row
      logits[i][j].start = out.start_logits.data.slice(at, at + n);
      logits[i][j].end = out.end_logits.data.slice(at, at + n);
    });
    return { logits, extras };
  }

  /**
   * The windows `items` need (exact), or a bound at most `max` when that is certain without
   * tokenizing: a context of n UTF-16 code units has at most 3n + 1 tokens (UTF-8 bytes; only rare
   * normalizer expansions exceed it, and the exact count after windowing still catches those).
   * @param {QuestionContext[]} items
   * @param {{max_seq_len: number, doc_stride: number, max_question_len?: number | null}} settings
   * @param {number} max
   */
  windowCount(items, { max_seq_len, doc_stride, max_question_len = null }, max) {
    const count = (/** @type {number} */ total, /** @type {number} */ chunk) =>
      (total <= chunk ? 1 : 1 + Math.ceil((total - chunk) / (chunk - doc_stride)));
    const specials = this.model.tokenize('', '', {}).ids.length;
    const tokens = (/** @type {string} */ text) => this.model.tokenize(text, null, { add_special_tokens: false }).ids.length;
    const chunks = items.map(({ question }) => {
      const q = tokens(question);
      return max_seq_len - Math.min(q, max_question_len ?? q) - specials;
    });
    if (chunks.some((c) => c <= doc_stride)) return 0;  // windows() says why
    let sum = 0;
    items.forEach(({ context }, i) => { sum += count(3 * context.length + 1, chunks[i]); });
    if (sum <= max) return sum;
    sum = 0;
    items.forEach(({ context }, i) => { sum += count(tokens(context), chunks[i]); });
    return sum;
  }

  /**
   * Resolved settings with Hugging Face's defaults.
   * @param {QuestionAnsweringOptions} opts
   */
  settings(opts) {
    const max_seq_len = opts.max_seq_len ?? Math.min(/** @type {number} */ (this.model.maxLength), 384);
    const doc_stride = opts.doc_stride ?? Math.min(Math.floor(max_seq_len / 2), 128);
    const { top_k = 1, max_answer_len = 15, align_to_words = true, handle_impossible_answer = false, max_question_len = null } = opts;
    check(max_question_len === null || (Number.isInteger(max_question_len) && max_question_len > 0),
      `question-answering: max_question_len must be a positive integer, got ${max_question_len}`);
    const positive = (/** @type {any} */ v, /** @type {string} */ name) =>
      check(Number.isInteger(v) && v > 0, `question-answering: ${name} must be a positive integer, got ${v}`);
    positive(top_k, 'top_k');
    positive(max_seq_len, 'max_seq_len');
    positive(max_answer_len, 'max_answer_len');
    check(Number.isInteger(doc_stride) && doc_stride >= 0, `question-answering: doc_stride must be a non-negative integer`);
    check(doc_stride < max_seq_len, `question-answering: doc_stride (${doc_stride}) must be smaller than max_seq_len (${max_seq_len})`);
    return { top_k, max_seq_len, doc_stride, max_answer_len, align_to_words, handle_impossible_answer, max_question_len };
  }

  /** @param {string} question its tokens, without special tokens */
  questionTokens(question) {
    return this.model.tokenize(question, null, { add_special_tokens: false }).ids.length;
  }

  /**
   * The windows of one question/context pair (the question cut to max_question_len tokens).
   * @param {QuestionContext} x
   * @param {{max_seq_len: number, doc_stride: number, max_question_len?: number | null}} settings
   */
  windows({ question, context }, { max_seq_len, doc_stride, max_question_len = null }) {
    if (max_question_len !== null && this.questionTokens(question) > max_question_len) {
      return questionWindows(this.model.tokenize(question, context, {}),
        { max_length: max_seq_len, stride: doc_stride, max_question_len });
    }
    return this.model.tokenizeWindows(question, context, { max_length: max_seq_len, stride: doc_stride });
  }

  /**
   * Decodes the best answers of one question from its windows' logits.
   * @param {string} context
   * @param {WindowLogits[]} windows
   * @param {{top_k: number, max_answer_len: number, align_to_words: boolean, handle_impossible_answer: boolean}} settings
   * @returns {QuestionAnsweringOutput | QuestionAnsweringOutput[]}
   */
  decode(context, windows, { top_k, max_answer_len, align_to_words, handle_impossible_answer }) {
    let minNull = 1e6;
    /** @type {QuestionAnsweringOutput[]} */
    const answers = [];
    for (const { encoding: e, start, end } of windows) {
      const n = e.ids.length;
      // Hugging Face's p_mask: everything but the context is undesired, except [CLS] (index 0 here).
      const desired = new Uint8Array(n);
      for (let t = 0; t < n; t++) desired[t] = e.sequence_ids[t] === 1 || t === cls(e) ? 1 : 0;
      const ps = maskedSoftmax(start, desired);
      const pe = maskedSoftmax(end, desired);
      const c = cls(e);
      if (handle_impossible_answer) minNull = Math.min(minNull, ps[c] * pe[c]);
      ps[c] = 0;
      pe[c] = 0;
      for (const { s, e: en, score } of bestSpans(ps, pe, top_k, max_answer_len, desired)) {
        const [from, to] = span(e, s, en, align_to_words);
        answers.push({ score, start: from, end: to, answer: context.slice(from, to) });
      }
    }
    if (handle_impossible_answer) answers.push({ score: minNull, start: 0, end: 0, answer: '' });
    answers.sort((p, q) => q.score - p.score);
    const best = answers.slice(0, top_k).map(({ answer, score, start, end }) => ({ answer, score, start, end }));
    if (best.length === 0) throw new BertologyError('question-answering: no answer span found', { code: 'INVALID_ARGUMENT' });
    return best.length === 1 ? best[0] : best;
  }
}

/** @param {import('../model.js').Encoding} e index of the first special token ([CLS]) */
function cls(e) {
  const i = e.sequence_ids.indexOf(-1);
  return i < 0 ? 0 : i;
}

/**
 * Undesired logits set to -10000, then softmax (float64).
 * @param {Float32Array} logits
 * @param {Uint8Array} desired
 */
function maskedSoftmax(logits, desired) {
  const n = logits.length;
  const x = new Float64Array(n);
  let max = -Infinity;
  for (let t = 0; t < n; t++) max = Math.max(max, (x[t] = desired[t] ? logits[t] : -10000));
  let sum = 0;
  for (let t = 0; t < n; t++) sum += (x[t] = Math.exp(x[t] - max));
  for (let t = 0; t < n; t++) x[t] /= sum;
  return x;
}

/**
 * Hugging Face's decode_spans: the top_k products p_start[s]·p_end[e] over s <= e <= s + len - 1
 * (row-major order breaks ties; spans outside that band score 0 and never win), then keeping those
 * whose start and end are desired.
 * @param {Float64Array} ps
 * @param {Float64Array} pe
 * @param {number} topK
 * @param {number} maxLen
 * @param {Uint8Array} desired
 */
function bestSpans(ps, pe, topK, maxLen, desired) {
  const n = ps.length;
  /** @type {{s: number, e: number, score: number}[]} */
  const best = [];
  for (let s = 0; s < n; s++) {
    for (let e = s; e < Math.min(n, s + maxLen); e++) {
      const score = ps[s] * pe[e];
      if (best.length === topK && score <= best[topK - 1].score) continue;
      let at = best.length;
      while (at > 0 && best[at - 1].score < score) at--;
      best.splice(at, 0, { s, e, score });
      if (best.length > topK) best.pop();
    }
  }
  return best.filter(({ s, e }) => desired[s] && desired[e]);
}

/**
 * Character span (JS string indices into the context) of tokens s..e: their offsets, or with
 * `align` the whole words (word ids) they belong to within this window.
 * @param {import('../model.js').Encoding} enc
 * @param {number} s
 * @param {number} e
 * @param {boolean} align
 * @returns {[number, number]}
 */
function span(enc, s, e, align) {
  if (!align || enc.word_ids[s] < 0 || enc.word_ids[e] < 0) return [enc.offsets[2 * s], enc.offsets[2 * e + 1]];
  const wordStart = enc.word_ids[s];
  const wordEnd = enc.word_ids[e];
  let from = Infinity;
  let to = -Infinity;
  for (let t = 0; t < enc.ids.length; t++) {
    if (enc.sequence_ids[t] !== 1) continue;
    if (enc.word_ids[t] === wordStart) from = Math.min(from, enc.offsets[2 * t]);
    if (enc.word_ids[t] === wordEnd) to = Math.max(to, enc.offsets[2 * t + 1]);
  }
  return [from, to];
}

/**
 * @param {any} a
 * @param {any} b
 * @param {any} c
 * @returns {{items: QuestionContext[], single: boolean, options: any}}
 */
function qaInputs(a, b, c) {
  const fail = (/** @type {string} */ m) => check(false, `question-answering: ${m}`);
  const pair = (/** @type {any} */ x, /** @type {string} */ where) => {
    if (!(x && typeof x === 'object' && !Array.isArray(x))) fail(`${where} must be {question, context}, got ${describe(x)}`);
    if (typeof x.question !== 'string') fail(`${where}.question must be a string, got ${describe(x.question)}`);
    if (typeof x.context !== 'string') fail(`${where}.context must be a string, got ${describe(x.context)}`);
    if (x.context.length === 0) fail(`${where}.context is empty`);
    return { question: x.question, context: x.context };
  };
  if (typeof a === 'string' || (Array.isArray(a) && typeof a[0] === 'string')) {
    // (question(s), context(s), options?)
    if (typeof a === 'string') return { items: [pair({ question: a, context: b }, 'the input')], single: true, options: c };
    if (typeof b === 'string') return { items: a.map((q, i) => pair({ question: q, context: b }, `input ${i}`)), single: false, options: c };
    if (!Array.isArray(b) || b.length !== a.length) fail(`${a.length} questions need one context or ${a.length} contexts`);
    return { items: a.map((q, i) => pair({ question: q, context: b[i] }, `input ${i}`)), single: false, options: c };
  }
  if (Array.isArray(a)) {
    if (a.length === 0) fail('empty batch (an empty array of inputs)');
    return { items: a.map((x, i) => pair(x, `input ${i}`)), single: false, options: b };
  }
  return { items: [pair(a, 'the input')], single: true, options: b };
}
