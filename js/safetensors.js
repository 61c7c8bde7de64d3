// safetensors in JS (training's export and resume state, sentence-transformers' Dense modules): read the
// tensors of a file (raw bytes, or decoded to float32) and write one (https://github.com/huggingface/safetensors: u64 LE header length, JSON header with
// {dtype, shape, data_offsets} per tensor, then the bytes, little-endian).

import { BertologyError } from './errors.js';

/** @typedef {{dtype: string, shape: number[], data_offsets: [number, number]}} TensorHeader */
/** @typedef {{name: string, dtype: string, shape: number[], bytes: Uint8Array}} RawTensor */

const WIDTHS = /** @type {Record<string, number>} */ ({ F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 });

/**
 * @param {string} message
 * @returns {BertologyError}
 */
const readFail = (message) => new BertologyError(message, { code: 'FILE_READ' });

/**
 * The header of one safetensors file.
 * @param {import('./sources/common.js').FileEntry} entry
 * @param {string} file for messages
 * @param {(message: string) => Error} [fail] the error for a bad file (default: FILE_READ)
 * @returns {{tensors: Map<string, TensorHeader>, base: number}}
 */
export function readHeader(entry, file, fail = readFail) {
  const head = new Uint8Array(8);
  if (entry.size < 8 || entry.read(0, 8, head) !== 8) throw fail(`${file}: too short for a safetensors file`);
  const length = Number(new DataView(head.buffer).getBigUint64(0, true));
  if (length > entry.size - 8 || length > 100_000_000) throw fail(`${file}: header length ${length} exceeds the file`);
  const bytes = new Uint8Array(length);
  if (entry.read(8, length, bytes) !== length) throw fail(`${file}: cannot read the header`);
  let header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw fail(`${file}: the header is not JSON`);
  }
  /** @type {Map<string, TensorHeader>} */
  const tensors = new Map();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const width = WIDTHS[t?.dtype];
    const count = Array.isArray(t?.shape) ? t.shape.reduce((/** @type {number} */ a, /** @type {number} */ b) => a * b, 1) : NaN;
    const [begin, end] = Array.isArray(t?.data_offsets) ? t.data_offsets : [];
    if (!width || !Number.isInteger(begin) || end - begin !== count * width || 8 + length + end > entry.size) {
      throw fail(`${file}: tensor ${name} has an unknown dtype or inconsistent data_offsets`);
    }
    tensors.set(name, { dtype: t.dtype, shape: t.shape.map(Number), data_offsets: [begin, end] });
  }
  return { tensors, base: 8 + length };
}

/**
 * @param {number} h IEEE half bits
 * @returns {number}
 */
function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Raw bytes of a tensor as float32 (F32, F16, BF16, F64).
 * @param {string} dtype
 * @param {Uint8Array} bytes
 * @param {string} name for messages
 * @param {(message: string) => Error} [fail] the error for a non-float dtype (default: FILE_READ)
 * @returns {Float32Array}
 */
export function toFloat32(dtype, bytes, name, fail = readFail) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength / (WIDTHS[dtype] ?? 1);
  const out = new Float32Array(n);
  if (dtype === 'F32') for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
  else if (dtype === 'F16') for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
  else if (dtype === 'BF16') {
    const u = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) u[i] = dv.getUint16(2 * i, true) << 16;
  } else if (dtype === 'F64') for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true);
  else throw fail(`tensor ${name}: dtype ${dtype} is not a float type`);
  return out;
}

/**
 * Float32 data as little-endian bytes.
 * @param {Float32Array} data
 * @returns {Uint8Array}
 */
export function float32Bytes(data) {
  const out = new Uint8Array(data.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) dv.setFloat32(4 * i, data[i], true);
  return out;
}

/**
 * A safetensors file holding `tensors` (in the order given) and string `metadata`.
 * @param {RawTensor[]} tensors
 * @param {Record<string, string>} [metadata]
 * @returns {Uint8Array}
 */
export function writeSafetensors(tensors, metadata) {
  /** @type {Record<string, any>} */
  const header = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count * (WIDTHS[t.dtype] ?? NaN) !== t.bytes.byteLength) {
      throw new BertologyError(`safetensors: tensor ${t.name} [${t.shape}] ${t.dtype} has ${t.bytes.byteLength} bytes`, { code: 'INVALID_ARGUMENT' });
    }
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.byteLength] };
    offset += t.bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);  // data starts 8-aligned
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    out.set(t.bytes, at);
    at += t.bytes.byteLength;
  }
  return out;
}
