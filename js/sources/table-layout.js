// Where the word-embedding table is in a safetensors file, from its first bytes (progressive weights,
// ./progressive.js): a table that can be handed out later is the file's last data, alone in its byte
// range, F32/F16/I8 and two-dimensional. Anything else — several tables, a tensor after it, a header
// that does not parse — is "no layout": the file is read whole and the engine reports what is wrong.

import { readHeader } from '../safetensors.js';

/** @typedef {import('./common.js').FileEntry} FileEntry */

/**
 * Where the table is: its tensor name, its byte range in the file, the bytes of one row, the file's size
 * (the table's end).
 * @typedef {{name: string, begin: number, end: number, rowBytes: number, size: number}} TableLayout
 */

/** Tensor names the architectures read the word-embedding table under (src/models/architecture*.cc). */
export const WORD_EMBEDDINGS = /(^|\.)(word_embeddings|tok_embeddings|word_embedding)\.weight$/;

/** dtypes a deferred table may have, with their widths. @type {Record<string, number>} */
const DEFERRABLE = { F32: 4, F16: 2, I8: 1 };

/**
 * Where the deferred table is in a safetensors file, or null when the layout does not allow it.
 * @param {Uint8Array[]} chunks the first bytes of the file
 * @param {number} have their length
 * @returns {{need: number} | {layout: null} | {layout: TableLayout}}
 *   `need`: the header is not complete yet (bytes needed)
 */
export function findTable(chunks, have) {
  const head = concat(chunks, Math.min(have, 8));
  if (have < 8) return { need: 8 };
  const length = Number(new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true));
  if (length > 100_000_000) return { layout: null };
  if (have < 8 + length) return { need: 8 + length };
  const bytes = concat(chunks, 8 + length);
  /** @type {FileEntry} */
  const prefix = {
    size: Number.MAX_SAFE_INTEGER,
    read(offset, n, view) {
      if (offset + n > bytes.byteLength) return -1;
      view.set(bytes.subarray(offset, offset + n));
      return n;
    },
  };
  let parsed;
  try {
    parsed = readHeader(prefix, 'weights');
  } catch {
    return { layout: null }; // the engine reports what is wrong, on the whole file
  }
  const { tensors, base } = parsed;
  const tables = [...tensors].filter(([name]) => WORD_EMBEDDINGS.test(name));
  if (tables.length !== 1) return { layout: null };
  const [name, t] = tables[0];
  const width = DEFERRABLE[t.dtype];
  if (!width || t.shape.length !== 2 || !(t.shape[0] > 0 && t.shape[1] > 0)) return { layout: null };
  const [begin, end] = t.data_offsets;
  let last = 0;
  for (const [other, o] of tensors) {
    if (other !== name && o.data_offsets[1] > begin && o.data_offsets[0] !== o.data_offsets[1]) return { layout: null };
    last = Math.max(last, o.data_offsets[1]);
  }
  if (last !== end) return { layout: null };
  return { layout: { name, begin: base + begin, end: base + end, rowBytes: t.shape[1] * width, size: base + end } };
}

/**
 * The first `n` bytes of `chunks`.
 * @param {Uint8Array[]} chunks
 * @param {number} n
 */
function concat(chunks, n) {
  if (chunks.length && chunks[0].byteLength >= n) return chunks[0].subarray(0, n);
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    if (at >= n) break;
    const part = c.subarray(0, Math.min(c.byteLength, n - at));
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
