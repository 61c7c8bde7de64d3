// Text on its way into the engine. JS strings are UTF-16 and may hold lone surrogates (half of a
// pair, e.g. from slicing a string between the halves of an emoji); UTF-8 cannot encode them, and
// the wasm glue's encoder would pair a lone surrogate with the next code unit, swallowing it. Every
// string the engine sees passes through `wellFormed` first: each lone surrogate becomes U+FFFD (the
// replacement character, what TextEncoder and Hugging Face's Node bindings do), which is one UTF-16
// code unit like the surrogate it replaces — so every offset the engine reports is still an index
// into the caller's own string, and the tokenizer treats the position as one unknown character,
// exactly as Hugging Face's tokenizers treat U+FFFD.

/**
 * `text` with each lone surrogate replaced by U+FFFD (same length, same indices); `text` itself when
 * it is already well-formed.
 * @param {string} text
 * @returns {string}
 */
export function wellFormed(text) {
  const s = /** @type {{isWellFormed?: () => boolean, toWellFormed?: () => string}} */ (/** @type {unknown} */ (text));
  if (typeof s.isWellFormed === 'function' && typeof s.toWellFormed === 'function') {
    return s.isWellFormed() ? text : s.toWellFormed();
  }
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/**
 * A string or UTF-8 bytes for the engine: strings made well-formed, bytes as they are (the engine
 * rejects invalid UTF-8 with an INVALID_ARGUMENT error).
 * @template {string | Uint8Array | null | undefined} T
 * @param {T} text
 * @returns {T}
 */
export function engineText(text) {
  return /** @type {T} */ (typeof text === 'string' ? wellFormed(text) : text);
}
