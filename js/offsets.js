// Token offsets: the engine reports [start, end) in Unicode code points of the original text(s);
// JS strings index UTF-16 code units. These helpers convert between the two.

/**
 * The UTF-16 index of every code point boundary of `text` (length = code points + 1), or null when
 * the text has no surrogate pairs (then code point and UTF-16 indices coincide).
 * @param {string} text
 * @returns {Int32Array | null}
 */
export function codePointToUtf16(text) {
  let astral = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) { astral = true; break; }
  }
  if (!astral) return null;
  const map = [0];
  let u = 0;
  for (const ch of text) {
    u += ch.length;
    map.push(u);
  }
  return Int32Array.from(map);
}

/**
 * Converts engine offsets (code points, 2 per token) to UTF-16 indices of the text each token
 * comes from (`sequenceIds[i]` 0 → texts[0], 1 → texts[1]; special tokens keep their offsets).
 * @param {Int32Array} cpOffsets
 * @param {Int32Array} sequenceIds
 * @param {string[]} texts
 * @returns {Int32Array}
 */
export function toUtf16Offsets(cpOffsets, sequenceIds, texts) {
  const maps = texts.map((t) => (t ? codePointToUtf16(t) : null));
  if (maps.every((m) => m === null)) return cpOffsets.slice();
  const out = new Int32Array(cpOffsets.length);
  for (let i = 0; i < sequenceIds.length; i++) {
    const map = sequenceIds[i] >= 0 ? maps[sequenceIds[i]] : null;
    const s = cpOffsets[2 * i];
    const e = cpOffsets[2 * i + 1];
    out[2 * i] = map ? map[Math.min(s, map.length - 1)] : s;
    out[2 * i + 1] = map ? map[Math.min(e, map.length - 1)] : e;
  }
  return out;
}

/**
 * Decodes UTF-8 bytes the way the engine sees them (a leading BOM is kept as a character).
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function decodeUtf8(bytes) {
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
}
