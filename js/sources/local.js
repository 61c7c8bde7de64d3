// Sources without a network: a local directory (Node) and files given as bytes. The engine reads
// them tensor by tensor through FileStore.addSource: a directory with fs.readSync at offsets straight
// into wasm memory, bytes by copying slices, so the weights are never held twice in wasm memory.

import { BertologyError } from '../errors.js';
import { nodeModule } from '../runtime.js';
import { bytesEntry, collectFiles, emitLocalProgress } from './common.js';

/**
 * @param {string} dir
 * @param {{progress_callback?: import('./common.js').ProgressCallback, name?: string, sentence_transformers?: boolean}} options
 * @returns {Promise<import('./common.js').ModelFiles>}
 */
export async function directoryFiles(dir, { progress_callback, name = dir, sentence_transformers } = {}) {
  const fs = nodeModule('fs');
  const path = nodeModule('path');
  let stat;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new BertologyError(`model directory not found: ${dir}`, { code: 'FILE_NOT_FOUND' });
  }
  if (!stat.isDirectory()) throw new BertologyError(`model source is not a directory: ${dir}`, { code: 'INVALID_ARGUMENT' });
  /** @type {number[]} */
  const fds = [];
  const close = () => {
    for (const fd of fds.splice(0)) {
      try { fs.closeSync(fd); } catch { /* already closed */ }
    }
  };
  /** @type {import('./common.js').FileGetter} */
  const get = async (file, required) => {
    const full = path.join(dir, file);
    let size;
    try {
      const s = fs.statSync(full);
      if (!s.isFile()) throw new Error('not a regular file');
      size = s.size;
    } catch (cause) {
      if (!required) return null;
      throw new BertologyError(`model file ${file} not found in ${dir}`, { code: 'FILE_NOT_FOUND', cause });
    }
    /** @type {number | undefined} */
    let fd;
    return {
      size,
      read(offset, length, view) {
        if (fd === undefined) {
          fd = fs.openSync(full, 'r');
          fds.push(fd);
        }
        const handle = fd;
        let done = 0;
        while (done < length) {
          const n = fs.readSync(handle, view, done, length - done, offset + done);
          if (n === 0) throw new Error(`${full}: file ended at ${offset + done} (expected ${size} bytes)`);
          done += n;
        }
        return done;
      },
    };
  };
  try {
    const files = await collectFiles(get,
      (what) => new BertologyError(`model file ${what} not found in ${dir}`, { code: 'FILE_NOT_FOUND' }), dir, { sentence_transformers });
    emitLocalProgress(progress_callback, name, files);
    return { label: dir, name, files, close };
  } catch (e) {
    close();
    throw e;
  }
}

/** @typedef {Uint8Array | ArrayBuffer | ArrayBufferView | string | Blob} FileBytes */

/**
 * @param {unknown} value
 * @param {string} file
 * @returns {Promise<Uint8Array>}
 */
async function toBytes(value, file) {
  if (typeof value === 'string') return new TextEncoder().encode(value);
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer)) {
    return new Uint8Array(value);
  }
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof Blob !== 'undefined' && value instanceof Blob) return new Uint8Array(await value.arrayBuffer());
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  throw new BertologyError(`${file}: expected Uint8Array, ArrayBuffer, Blob or string, got ${got}`,
    { code: 'INVALID_ARGUMENT' });
}

/**
 * Files given by name, e.g. `{'config.json': bytes, 'model.safetensors': bytes}` (or a Map).
 * @param {Map<string, FileBytes> | Record<string, FileBytes>} source
 * @param {{progress_callback?: import('./common.js').ProgressCallback, name?: string, sentence_transformers?: boolean}} options
 * @returns {Promise<import('./common.js').ModelFiles>}
 */
export async function memoryFiles(source, { progress_callback, name = 'in-memory files', sentence_transformers } = {}) {
  const map = source instanceof Map ? source : new Map(Object.entries(source));
  /** @type {Map<string, Uint8Array>} */
  const bytes = new Map();
  for (const [file, value] of map) {
    if (typeof file !== 'string') throw new BertologyError('in-memory files must be keyed by file name', { code: 'INVALID_ARGUMENT' });
    bytes.set(file, await toBytes(value, file));
  }
  const label = 'in-memory files';
  /** @type {import('./common.js').FileGetter} */
  const get = async (file, required) => {
    const b = bytes.get(file);
    if (b) return bytesEntry(b);
    if (!required) return null;
    throw new BertologyError(`model file ${file} not found in ${label} (given: ${[...bytes.keys()].join(', ') || 'none'})`,
      { code: 'FILE_NOT_FOUND' });
  };
  const files = await collectFiles(get, (what) =>
    new BertologyError(`model file ${what} not found in ${label} (given: ${[...bytes.keys()].join(', ') || 'none'})`,
      { code: 'FILE_NOT_FOUND' }), label, { sentence_transformers });
  emitLocalProgress(progress_callback, name, files);
  return { label, name, files, close: () => bytes.clear() };
}
