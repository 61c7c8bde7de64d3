// Bounds on what one call may cost (docs/hardening.md, "Limits" and "Cost model"). The engine's own
// limits (max_batch, max_tokens, max_forward_bytes, max_header_bytes, max_tensors) are checked in
// C++; these are checked in JS before any work starts. All of them are load options:
// `BertologyModel.load(source, {limits: {max_windows: 200}})`, `pipeline(task, model, {limits})`.
// Exceeding one is a BertologyError with code 'LIMIT', `limit` (the name), `value` (what the call
// needed) and `max` (the bound), whose message says how to raise it.

import { BertologyError, check } from './errors.js';
import { ENGINE_OPTIONS } from './engine-contract.js';

/** Limits the engine checks (src/models/model.h, Limits), as the engine contract lists them. */
export const ENGINE_LIMITS = /** @type {readonly string[]} */ (ENGINE_OPTIONS.limits);

/**
 * Limits checked in JS, with their defaults.
 * - max_texts: texts (or text pairs, question/context pairs) in one call — a call runs one forward
 *   pass per batch_size of them, synchronously between yields, so the count bounds its duration.
 * - max_chars: UTF-16 code units of one text (or bytes of a Uint8Array text): bounds the tokenizer's
 *   time and memory (~40 bytes of engine memory per character while it is tokenized).
 * - max_windows: forward windows of one question-answering call, over all of its questions (a
 *   context of N tokens needs about N / (max_seq_len - question - doc_stride) windows; 1 MB of
 *   English text is ~950 windows at the defaults).
 * - max_pairs: (text, candidate label) pairs of one zero-shot-classification call, texts × labels — each
 *   pair is one forward row, so the product bounds its duration as max_texts bounds other calls'.
 */
export const CALL_LIMITS = Object.freeze({ max_texts: 1024, max_chars: 1 << 20, max_windows: 64, max_pairs: 4096 });

/** @typedef {{max_texts: number, max_chars: number, max_windows: number, max_pairs: number}} CallLimits */

/**
 * Checks the `limits` load option: known names, positive integers.
 * @param {unknown} limits
 * @param {string} operation
 */
export function checkLimitsOption(limits, operation) {
  if (limits === undefined || limits === null) return;
  check(typeof limits === 'object' && !Array.isArray(limits), `${operation}: limits must be an object`);
  const known = [...ENGINE_LIMITS, ...Object.keys(CALL_LIMITS)];
  for (const [key, value] of Object.entries(/** @type {object} */ (limits))) {
    check(known.includes(key), `${operation}: unknown limit "${key}" (known: ${known.join(', ')})`);
    check(typeof value === 'number' && Number.isSafeInteger(value) && value > 0,
      `${operation}: limits.${key} must be a positive integer, got ${typeof value === 'number' ? value : JSON.stringify(value)}`);
  }
}

/**
 * The engine's part of `limits` (undefined when none is set).
 * @param {Record<string, number> | undefined} limits
 * @returns {Record<string, number> | undefined}
 */
export function engineLimits(limits) {
  if (!limits) return undefined;
  const out = Object.fromEntries(Object.entries(limits).filter(([k]) => ENGINE_LIMITS.includes(k)));
  return Object.keys(out).length ? out : undefined;
}

/**
 * The JS limits in force: the defaults overridden by `limits`.
 * @param {Record<string, number> | undefined} limits
 * @returns {CallLimits}
 */
export function callLimits(limits) {
  /** @type {Record<string, number>} */
  const out = { ...CALL_LIMITS };
  for (const key of Object.keys(CALL_LIMITS)) if (limits?.[key] !== undefined) out[key] = limits[key];
  return /** @type {CallLimits} */ (out);
}

/**
 * A LIMIT error: `${operation}: ${what} exceeds limits.${limit} = ${max}; ...how to raise it`.
 * @param {string} operation e.g. "question-answering"
 * @param {string} what e.g. "the contexts need 950 windows"
 * @param {string} limit the limit's name
 * @param {number} value what the call needed
 * @param {number} max the limit in force
 * @param {string} [alternative] another way out (e.g. "or pass max_windows in the call's options")
 */
export function limitError(operation, what, limit, value, max, alternative = '') {
  const message = `${operation}: ${what} exceeds limits.${limit} = ${max}; raise it with the load option `
    + `{limits: {${limit}: ${Math.max(value, max + 1)}}} (BertologyModel.load / pipeline)${alternative ? ` ${alternative}` : ''}`;
  return Object.assign(new BertologyError(message, { code: 'LIMIT', operation }), { limit, value, max });
}

/**
 * Throws a LIMIT error when a text is longer than `max_chars`.
 * @param {string | Uint8Array} text
 * @param {CallLimits} limits
 * @param {string} operation
 */
export function checkTextLength(text, limits, operation) {
  const n = text.length;
  if (n > limits.max_chars) {
    const unit = typeof text === 'string' ? 'characters (UTF-16 code units)' : 'bytes';
    throw limitError(operation, `a text of ${n} ${unit}`, 'max_chars', n, limits.max_chars);
  }
}

/**
 * Throws a LIMIT error when a call has more than `max_texts` inputs.
 * @param {number} count
 * @param {CallLimits} limits
 * @param {string} operation
 */
export function checkTextCount(count, limits, operation) {
  if (count > limits.max_texts) {
    throw limitError(operation, `a call with ${count} inputs`, 'max_texts', count, limits.max_texts,
      'or split the inputs over several calls');
  }
}
