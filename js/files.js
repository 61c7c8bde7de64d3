// Model files → the engine's FileStore. Each file is written straight into wasm memory: a local
// file is read from disk in chunks into the store's view (one copy, never a second JS buffer);
// in-memory bytes are copied once. Sharded weights are found through model.safetensors.index.json.

import { BertologyError, unwrap } from './errors.js';
import { isNode } from './runtime.js';

/**
 * Where a model's files come from: a local directory (Node: path string or file: URL), or the files
 * themselves by name, e.g. `{'config.json': bytes, 'model.safetensors': bytes}`.
 * @typedef {string | URL | Map<string, FileBytes> | Record<string, FileBytes>} ModelSource
 */

/** @typedef {Uint8Array | ArrayBuffer | ArrayBufferView | string} FileBytes */

export const CONFIG = 'config.json';
export const WEIGHTS = 'model.safetensors';
export const WEIGHTS_INDEX = 'model.safetensors.index.json';
export const OPTIONAL_FILES = ['tokenizer.json', 'tokenizer_config.json'];

const CHUNK_BYTES = 8 << 20;

/**
 * A readable set of files: what exists, their sizes, their bytes written into a view.
 * @typedef {object} FileSource
 * @property {string} label for messages
 * @property {(name: string) => boolean} has
 * @property {(name: string) => number} size
 * @property {(name: string) => string} readText
 * @property {(name: string, view: Uint8Array) => void} readInto fills `view` (exactly size(name) bytes)
 */

/**
 * @param {FileBytes} value
 * @param {string} name
 * @returns {Uint8Array}
 */
function toBytes(value, name) {
  if (typeof value === 'string') return new TextEncoder().encode(value);
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer)) {
    return new Uint8Array(value);
  }
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new BertologyError(`${name}: expected Uint8Array, ArrayBuffer or string`, { code: 'INVALID_ARGUMENT' });
}

/**
 * @param {Map<string, FileBytes> | Record<string, FileBytes>} files
 * @returns {FileSource}
 */
function memorySource(files) {
  const map = files instanceof Map ? files : new Map(Object.entries(files));
  /** @type {Map<string, Uint8Array>} */
  const bytes = new Map();
  for (const [name, value] of map) bytes.set(name, toBytes(value, name));
  return {
    label: 'in-memory files',
    has: (name) => bytes.has(name),
    size: (name) => /** @type {Uint8Array} */ (bytes.get(name)).byteLength,
    readText: (name) => new TextDecoder().decode(bytes.get(name)),
    readInto: (name, view) => view.set(/** @type {Uint8Array} */ (bytes.get(name))),
  };
}

/**
 * @param {string} dir
 * @returns {Promise<FileSource>}
 */
async function directorySource(dir) {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const full = (/** @type {string} */ name) => path.join(dir, name);
  const fail = (/** @type {string} */ name, /** @type {unknown} */ cause) =>
    new BertologyError(`cannot read ${full(name)}: ${/** @type {Error} */ (cause).message}`, { code: 'FILE_READ', cause });
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new BertologyError(`model directory not found: ${dir}`, { code: 'FILE_NOT_FOUND' });
  }
  return {
    label: dir,
    has: (name) => fs.existsSync(full(name)),
    size: (name) => fs.statSync(full(name)).size,
    readText: (name) => {
      try { return fs.readFileSync(full(name), 'utf8'); } catch (e) { throw fail(name, e); }
    },
    readInto: (name, view) => {
      let fd;
      try {
        fd = fs.openSync(full(name), 'r');
        for (let done = 0; done < view.byteLength;) {
          const n = fs.readSync(fd, view, done, Math.min(CHUNK_BYTES, view.byteLength - done), done);
          if (n === 0) throw new Error(`file ended after ${done} of ${view.byteLength} bytes`);
          done += n;
        }
      } catch (e) {
        throw fail(name, e);
      } finally {
        if (fd !== undefined) fs.closeSync(fd);
      }
    },
  };
}

/**
 * @param {ModelSource} source
 * @returns {Promise<FileSource>}
 */
export async function openSource(source) {
  if (typeof source === 'string' || source instanceof URL) {
    if (!isNode()) {
      throw new BertologyError('a directory source needs Node; in browsers pass the files as bytes', { code: 'INVALID_ARGUMENT' });
    }
    const dir = source instanceof URL ? (await import('node:url')).fileURLToPath(source) : source;
    return directorySource(dir);
  }
  if (source && typeof source === 'object') return memorySource(source);
  throw new BertologyError('model source must be a directory path or a map of file name → bytes', { code: 'INVALID_ARGUMENT' });
}

/**
 * The files the engine needs, in the order they are stored: config, weights (single file or
 * index + shards), then the optional tokenizer files that exist.
 * @param {FileSource} src
 * @returns {string[]}
 */
export function modelFileNames(src) {
  const missing = (/** @type {string} */ what) =>
    new BertologyError(`${what} not found in ${src.label}`, { code: 'FILE_NOT_FOUND' });
  if (!src.has(CONFIG)) throw missing(CONFIG);
  const names = [CONFIG];
  if (src.has(WEIGHTS_INDEX)) {
    let index;
    try {
      index = JSON.parse(src.readText(WEIGHTS_INDEX));
    } catch (cause) {
      throw new BertologyError(`${WEIGHTS_INDEX}: invalid JSON (${/** @type {Error} */ (cause).message})`, { code: 'ENGINE', cause });
    }
    const shards = [...new Set(Object.values(index?.weight_map ?? {}))];
    if (shards.length === 0 || !shards.every((s) => typeof s === 'string')) {
      throw new BertologyError(`${WEIGHTS_INDEX}: "weight_map" must map tensor names to shard file names`, { code: 'ENGINE' });
    }
    for (const shard of shards) if (!src.has(shard)) throw missing(`${shard} (listed in ${WEIGHTS_INDEX})`);
    names.push(WEIGHTS_INDEX, ...shards);
  } else if (src.has(WEIGHTS)) {
    names.push(WEIGHTS);
  } else {
    throw missing(`${WEIGHTS} or ${WEIGHTS_INDEX}`);
  }
  for (const name of OPTIONAL_FILES) if (src.has(name)) names.push(name);
  return names;
}

/**
 * Writes every file the model needs into `store` (an engine FileStore).
 * @param {any} store
 * @param {FileSource} src
 */
export function fillStore(store, src) {
  for (const name of modelFileNames(src)) {
    const size = src.size(name);
    const view = unwrap(store.allocate(name, size), `allocate ${name} (${size} bytes)`);
    // The view points into wasm memory and is only valid until the next allocation: fill it now.
    src.readInto(name, view);
  }
}
