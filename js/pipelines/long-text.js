// Texts longer than the model: encodings cut on the JS side (Hugging Face's overflowing windows for
// one sequence, only_first truncation for a pair, question-answering windows with a truncated
// question), and the metadata that says what happened to each input.
//
// Metadata: every per-input result of text-classification, feature-extraction, token-classification,
// question-answering, zero-shot-classification and text-ranking carries `metadata` — {tokens,
// max_length, truncated, chunks?} — as a non-enumerable property, so result shapes (keys, JSON,
// deepEqual) stay those of transformers.js; `return_metadata: true` makes it an ordinary (enumerable)
// property, e.g. to keep it across a worker's postMessage or JSON.stringify.

import { check } from '../errors.js';

/**
 * What a pipeline did with one input's length.
 * @typedef {object} InputMetadata
 * @property {number} tokens tokens the input has (special tokens included); with truncation, before it
 *   when known, else the tokens the model read
 * @property {number} max_length the longest input the model reads
 * @property {boolean} truncated tokens were dropped (the model did not read all of the input)
 * @property {number} [chunks] windows the input was run as (long_text: 'chunk', stride, QA windows)
 */

/**
 * The longest input of a call: the `max_length` option (at most the model's limit), else `fallback`.
 * Windows and truncation use it — e.g. 128 for a model pretrained on 128-token sequences.
 * @param {any} value the option
 * @param {number} limit the model's limit
 * @param {string} task
 * @param {number} [fallback]
 */
export function maxLengthOption(value, limit, task, fallback = limit) {
  if (value === undefined || value === null) return fallback;
  check(Number.isInteger(value) && value >= 4 && value <= limit, `${task}: max_length must be an integer in [4, ${limit}] (the model's limit), got ${value}`);
  return value;
}

/**
 * Sets `metadata` on a result (non-enumerable unless `enumerable`); returns the result.
 * @template {object} T
 * @param {T} result
 * @param {InputMetadata | InputMetadata[]} metadata
 * @param {boolean} [enumerable]
 * @returns {T}
 */
export function withMetadata(result, metadata, enumerable = false) {
  if (result === null || typeof result !== 'object') return result;
  Object.defineProperty(result, 'metadata', { value: metadata, enumerable, writable: true, configurable: true });
  return result;
}

/**
 * Tokens [from, to) of each range, concatenated into one encoding.
 * @param {import('../model.js').Encoding} e
 * @param {[number, number][]} ranges
 * @param {boolean} [truncated]
 * @returns {import('../model.js').Encoding}
 */
export function sliceEncoding(e, ranges, truncated = e.truncated) {
  const ints = (/** @type {Int32Array} */ a, /** @type {number} */ width = 1) => {
    const out = new Int32Array(ranges.reduce((n, [f, t]) => n + (t - f) * width, 0));
    let at = 0;
    for (const [f, t] of ranges) { out.set(a.subarray(f * width, t * width), at); at += (t - f) * width; }
    return out;
  };
  return {
    ids: ints(e.ids), type_ids: ints(e.type_ids), attention_mask: ints(e.attention_mask),
    tokens: ranges.flatMap(([f, t]) => e.tokens.slice(f, t)), offsets: ints(e.offsets, 2),
    codepoint_offsets: ints(e.codepoint_offsets, 2), sequence_ids: ints(e.sequence_ids), word_ids: ints(e.word_ids), truncated,
  };
}

/**
 * The token ranges of an encoding: special tokens before, between and after its sequences.
 * @param {import('../model.js').Encoding} e
 * @returns {{first: [number, number], second: [number, number] | null, n: number}}
 */
export function sequenceRanges(e) {
  const n = e.ids.length;
  /** @type {(s: number) => [number, number] | null} */
  const range = (s) => {
    let from = -1;
    let to = -1;
    for (let t = 0; t < n; t++) {
      if (e.sequence_ids[t] !== s) continue;
      if (from < 0) from = t;
      to = t + 1;
    }
    return from < 0 ? null : [from, to];
  };
  const first = range(0);
  const second = range(1);
  // An empty first sequence sits where its specials end.
  let at = 0;
  while (at < n && e.sequence_ids[at] < 0) at++;
  return { first: first ?? [at, at], second, n };
}

/**
 * Hugging Face's overflow rule: windows of `room` tokens starting at 0, each `room - stride` after
 * the previous, until one reaches the end.
 * @param {number} count
 * @param {number} room
 * @param {number} stride
 * @returns {[number, number][]}
 */
export function overflowRanges(count, room, stride) {
  check(room > 0, `the model's max length leaves no room for text after the special tokens`);
  check(Number.isInteger(stride) && stride >= 0 && stride < room, `stride must be an integer in [0, ${room}) for this model, got ${stride}`);
  /** @type {[number, number][]} */
  const out = [];
  for (let start = 0; ; start += room - stride) {
    const stop = Math.min(start + room, count);
    out.push([start, stop]);
    if (stop >= count) break;
  }
  return out;
}

/**
 * Overflowing windows of a one-sequence encoding (tokenized without truncation): each window its
 * special tokens plus up to `maxLength - specials` text tokens, consecutive windows sharing `stride`.
 * @param {import('../model.js').Encoding} full
 * @param {number} maxLength
 * @param {number} stride
 * @returns {import('../model.js').Encoding[]}
 */
export function textWindows(full, maxLength, stride) {
  const { first: [a, b], n } = sequenceRanges(full);
  if (n <= maxLength) return [full];
  const room = maxLength - (n - (b - a));
  return overflowRanges(b - a, room, stride).map(([s, t]) => sliceEncoding(full, [[0, a], [a + s, a + t], [b, n]], true));
}

/**
 * A pair encoding (tokenized without truncation) cut to `maxLength` by dropping tokens from the end
 * of its first sequence — Hugging Face's only_first truncation; null when the second sequence and
 * the special tokens alone are too long.
 * @param {import('../model.js').Encoding} full
 * @param {number} maxLength
 * @returns {import('../model.js').Encoding | null}
 */
export function truncateFirst(full, maxLength) {
  const { first: [a, b], n } = sequenceRanges(full);
  if (n <= maxLength) return full;
  const excess = n - maxLength;
  if (excess > b - a) return null;
  return sliceEncoding(full, [[0, b - excess], [b, n]], true);
}

/**
 * Question-answering windows of a (question, context) encoding tokenized without truncation: the
 * question cut to `maxQuestion` tokens, then windows of the context with `stride` shared tokens
 * (the rule of the engine's tokenizeWindows).
 * @param {import('../model.js').Encoding} full
 * @param {{max_length: number, stride: number, max_question_len: number}} options
 * @returns {import('../model.js').Encoding[]}
 */
export function questionWindows(full, { max_length, stride, max_question_len }) {
  const { first: [qa, qb], second, n } = sequenceRanges(full);
  const [ca, cb] = second ?? [qb, qb];
  const qEnd = Math.min(qb, qa + max_question_len);
  const specials = n - (qb - qa) - (cb - ca);
  const room = max_length - specials - (qEnd - qa);
  check(room > 0, `question-answering: the question (${qEnd - qa} tokens) leaves no room for context in max_seq_len ${max_length}`);
  check(stride < room, `question-answering: doc_stride ${stride} must be below the context room ${room}`);
  return overflowRanges(cb - ca, room, stride).map(([s, t]) =>
    sliceEncoding(full, [[0, qEnd], [qb, ca], [ca + s, ca + t], [cb, n]], qEnd < qb || s > 0 || t < cb - ca));
}
