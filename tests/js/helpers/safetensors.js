// A tiny safetensors reader/writer for tests: F32 and I64 tensors as typed arrays, any dtype as
// raw bytes (to rewrite model files into deliberately broken ones).

import { readFileSync } from 'node:fs';

/** @typedef {{name: string, dtype: string, shape: number[], bytes: Uint8Array}} RawTensor */

/**
 * @param {Uint8Array} file
 * @returns {{tensors: RawTensor[], metadata: Record<string, string> | undefined}} in data order
 */
export function parseSafetensors(file) {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + headerLength)));
  const base = 8 + headerLength;
  const tensors = Object.entries(header)
    .filter(([name]) => name !== '__metadata__')
    .map(([name, t]) => ({
      name, dtype: t.dtype, shape: t.shape,
      bytes: file.subarray(base + t.data_offsets[0], base + t.data_offsets[1]),
      begin: t.data_offsets[0],
    }))
    .sort((a, b) => a.begin - b.begin)
    .map(({ begin, ...t }) => t);
  return { tensors, metadata: header.__metadata__ };
}

/**
 * Writes tensors back to back. `overrides` replaces header fields after layout (to break files).
 * @param {RawTensor[]} tensors
 * @param {{metadata?: Record<string, string>, header?: (h: Record<string, any>) => void}} [options]
 * @returns {Uint8Array}
 */
export function writeSafetensors(tensors, { metadata, header: edit } = {}) {
  /** @type {Record<string, any>} */
  const header = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.byteLength] };
    offset += t.bytes.byteLength;
  }
  edit?.(header);
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) { out.set(t.bytes, at); at += t.bytes.byteLength; }
  return out;
}

/**
 * Reads F32 tensors as Float32Array and I64 tensors as Int32Array (values must fit).
 * @param {string} path
 * @returns {Record<string, {data: Float32Array | Int32Array, shape: number[]}>}
 */
export function readTensors(path) {
  const { tensors } = parseSafetensors(new Uint8Array(readFileSync(path)));
  /** @type {Record<string, {data: Float32Array | Int32Array, shape: number[]}>} */
  const out = {};
  for (const t of tensors) {
    const aligned = t.bytes.slice().buffer;
    if (t.dtype === 'F32') out[t.name] = { data: new Float32Array(aligned), shape: t.shape };
    else if (t.dtype === 'I64') out[t.name] = { data: Int32Array.from(new BigInt64Array(aligned), Number), shape: t.shape };
    else throw new Error(`${path}: ${t.name} has dtype ${t.dtype}; the test reader handles F32 and I64`);
  }
  return out;
}
