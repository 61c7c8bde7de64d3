// What every model source produces: the model's files, each readable by byte range, in the order
// the engine's FileStore receives them. Which files: config.json; model.safetensors.index.json and
// its shards, or model.safetensors; tokenizer.json and tokenizer_config.json when they exist; a
// sentence-transformers model's module files when asked for and they exist (./modules.js).

import { BertologyError } from '../errors.js';
import { collectModuleFiles } from './modules.js';
import { WORD_EMBEDDINGS } from './progressive.js';

export const CONFIG = 'config.json';
export const WEIGHTS = 'model.safetensors';
export const WEIGHTS_INDEX = 'model.safetensors.index.json';
export const OPTIONAL_FILES = ['tokenizer.json', 'tokenizer_config.json'];

/**
 * One file: its size and a synchronous reader. `read` copies [offset, offset + length) into `view`
 * (a Uint8Array over wasm memory) and returns the number of bytes copied; it may throw (the loader
 * catches, as the engine's reader must never throw).
 * @typedef {object} FileEntry
 * @property {number} size
 * @property {(offset: number, length: number, view: Uint8Array) => number} read
 * @property {DeferredTensor} [deferred] only from a remote source, only when the consumer accepts it
 *   (ACCEPT_DEFERRED): the word-embedding table is still downloading; `read` returns -1 for a range with
 *   a byte not here yet (bytes outside [begin, end) are all here)
 */

/**
 * A tensor a file is handed out without (progressive weights, ./progressive.js): the word-embedding
 * table, the file's last data.
 * @typedef {object} DeferredTensor
 * @property {string} name safetensors tensor name (e.g. 'bert.embeddings.word_embeddings.weight')
 * @property {number} begin absolute byte offset in the file of the tensor's first data byte
 * @property {number} end absolute end offset (exclusive; the file's size)
 * @property {number} rowBytes bytes per row (shape[1] × dtype size)
 * @property {(begin: number, end: number) => boolean} has can `read` serve [begin, end) now?
 * @property {(ranges: Array<[number, number]>) => Promise<void>} ensure absolute byte ranges inside
 *   [begin, end): resolves once `read` can serve them all (from the stream, or HTTP Range requests);
 *   rejects with a BertologyError (NETWORK, ABORTED, BAD_RESPONSE) naming the URL
 * @property {Promise<void>} complete the whole file is readable (rejects like ensure; never unhandled)
 */

/**
 * The files of one model, ready for the engine.
 * @typedef {object} ModelFiles
 * @property {string} label where they come from, for messages (a path, a URL, "in-memory files")
 * @property {string} name the model's name in progress events (the id, URL or path given)
 * @property {Map<string, FileEntry>} files
 * @property {() => void} close releases what reading needed (file descriptors, buffers)
 */

/**
 * transformers.js-compatible progress events.
 * @typedef {{status: 'initiate' | 'download' | 'done', name: string, file: string} |
 *   {status: 'progress', name: string, file: string, loaded: number, total: number, progress: number} |
 *   {status: 'ready', name: string, model: string}} ProgressEvent
 */

/** @typedef {(event: ProgressEvent) => void} ProgressCallback */

/**
 * Calls the user's progress callback; an exception in it is reported asynchronously (as an uncaught
 * error) and does not disturb loading.
 * @param {ProgressCallback | undefined | null} callback
 * @param {ProgressEvent} event
 */
export function emit(callback, event) {
  if (typeof callback !== 'function') return;
  try {
    callback(event);
  } catch (e) {
    queueMicrotask(() => { throw e; });
  }
}

/**
 * A FileEntry over bytes held in JS memory.
 * @param {Uint8Array} bytes
 * @returns {FileEntry}
 */
export function bytesEntry(bytes) {
  return {
    size: bytes.byteLength,
    read(offset, length, view) {
      if (offset + length > bytes.byteLength) return -1;
      view.set(bytes.subarray(offset, offset + length));
      return length;
    },
  };
}

/**
 * An internal load option (a symbol: never an option users can pass or see): called with config.json
 * and the tokenizer files that exist as soon as a remote source has them all and has asked for the
 * weights (collectFiles `onTokenizerFiles`).
 */
export const ON_TOKENIZER_FILES = Symbol('bertology.onTokenizerFiles');

/**
 * An internal load option (a symbol, like ON_TOKENIZER_FILES): the consumer handles FileEntry.deferred, so a
 * remote source may hand out a weights file before its word-embedding table has downloaded (unless
 * the load option `progressive` is false). Consumers that read every byte at once never set it.
 */
export const ACCEPT_DEFERRED = Symbol('bertology.acceptDeferred');

/**
 * An internal load option (tests): tuning of progressive weights (./progressive.js ProgressiveTuning).
 */
export const PROGRESSIVE_TUNING = Symbol('bertology.progressiveTuning');

/**
 * The whole file as text (for small JSON files).
 * @param {FileEntry} entry
 * @returns {string}
 */
export function readText(entry) {
  const bytes = new Uint8Array(entry.size);
  const n = entry.read(0, entry.size, bytes);
  if (n !== entry.size) throw new Error(`short read: ${n} of ${entry.size} bytes`);
  return new TextDecoder().decode(bytes);
}

/**
 * The shard file names of a model.safetensors.index.json.
 * @param {string} text
 * @param {string} where for messages
 * @returns {string[]}
 */
export function shardNames(text, where) {
  let index;
  try {
    index = JSON.parse(text);
  } catch (cause) {
    throw new BertologyError(`${WEIGHTS_INDEX} (${where}): invalid JSON (${/** @type {Error} */ (cause).message})`,
      { code: 'BAD_CHECKPOINT', cause });
  }
  const shards = [...new Set(Object.values(index?.weight_map ?? {}))].sort();
  if (shards.length === 0 || !shards.every((s) => typeof s === 'string' && s.length > 0)) {
    throw new BertologyError(`${WEIGHTS_INDEX} (${where}): "weight_map" must map tensor names to shard file names`,
      { code: 'BAD_CHECKPOINT' });
  }
  for (const s of shards) {
    if (s.includes('/') || s.includes('\\') || s === '..' || s === '.') {
      throw new BertologyError(`${WEIGHTS_INDEX} (${where}): shard name ${JSON.stringify(s)} is not a plain file name`,
        { code: 'BAD_CHECKPOINT' });
    }
  }
  return shards;
}

/**
 * How a source gets one file: the entry, or null when the file does not exist (a missing required
 * file is the getter's own error, naming where it looked). `signal`: the file turned out not to be
 * needed (a remote source cancels its download; the promise may then reject, and nobody awaits it).
 * `hints.tableOnly`: a shard that holds the word-embedding table alone (the index says so): a remote
 * source may hand it out from its header and download the rest later (./progressive.js).
 * @typedef {(name: string, required: boolean, signal?: AbortSignal, hints?: {tableOnly?: boolean}) => Promise<FileEntry | null>} FileGetter
 */

/**
 * The shards of a model.safetensors.index.json that hold the word-embedding table and nothing else.
 * @param {string} text the index (already checked by shardNames)
 * @returns {Set<string>}
 */
function tableOnlyShards(text) {
  /** @type {Map<string, string[]>} */
  const byShard = new Map();
  for (const [tensor, shard] of Object.entries(JSON.parse(text).weight_map)) {
    byShard.set(/** @type {string} */ (shard), [...(byShard.get(/** @type {string} */ (shard)) ?? []), tensor]);
  }
  return new Set([...byShard].filter(([, tensors]) => tensors.length === 1 && WORD_EMBEDDINGS.test(tensors[0])).map(([shard]) => shard));
}

/**
 * Picks and gets the model's files the Hugging Face way: config.json (required), the optional
 * tokenizer files, the weights index and model.safetensors together; once config.json and the index
 * have answered, the index's shards (model.safetensors's download is then cancelled), or
 * model.safetensors.
 * @param {FileGetter} get
 * @param {(what: string) => BertologyError} missingWeights error when neither weights form exists
 * @param {string} where for messages
 * @param {{sentence_transformers?: boolean, onTokenizerFiles?: (files: Map<string, FileEntry>) => void}} [options]
 *   `sentence_transformers`: also get a sentence-transformers model's files; `onTokenizerFiles`: called
 *   with config.json and the tokenizer files that exist once they all are and the weights have been
 *   asked for (the loader builds the tokenizer while the weights download)
 * @returns {Promise<Map<string, FileEntry>>}
 */
export async function collectFiles(get, missingWeights, where, { sentence_transformers = false, onTokenizerFiles } = {}) {
  // config.json, the tokenizer files, the weights index and model.safetensors are asked for at once:
  // most checkpoints are one model.safetensors, whose download then starts without waiting for the
  // index's answer (an HTML page or a 404). A sharded checkpoint's index cancels it: the shards are
  // used, and no file is downloaded twice. The weights are awaited once config.json and the index have
  // answered (not after the tokenizer files); a missing config.json is still the error reported.
  const pending = [get(CONFIG, true), get(OPTIONAL_FILES[0], false), get(OPTIONAL_FILES[1], false), get(WEIGHTS_INDEX, false)];
  const notSingle = new AbortController();
  const single = get(WEIGHTS, false, notSingle.signal);
  /** @type {() => void} */
  let weightsAsked = () => {};
  // settles once every weights file has been asked for (the work onTokenizerFiles starts must not
  // hold up a sharded checkpoint's shard requests)
  const weightsRequested = new Promise((resolve) => { weightsAsked = () => resolve(undefined); });
  /** @type {Promise<[string, FileEntry][]>} */
  const weights = Promise.all([pending[0], pending[3]]).then(async ([, index]) => {
    if (index) {
      notSingle.abort();
      const text = readText(index);
      const shards = shardNames(text, where);
      const tableOnly = tableOnlyShards(text);
      const asked = mapLimit(shards, 4, (s) => get(s, true, undefined, { tableOnly: tableOnly.has(s) }));
      weightsAsked();
      const entries = await asked;
      return [[WEIGHTS_INDEX, index], ...shards.map((s, i) => /** @type {[string, FileEntry]} */ ([s, entries[i]]))];
    }
    weightsAsked();
    const entry = await single;
    if (!entry) throw missingWeights(`${WEIGHTS} (or ${WEIGHTS_INDEX} with shards)`);
    return [[WEIGHTS, entry]];
  });
  weights.catch(() => notSingle.abort()); // another file failed: the single file is not needed either
  for (const p of [...pending, single, weights]) p.catch(() => {}); // awaited below: never an unhandled rejection
  if (onTokenizerFiles) {
    Promise.all([...pending.slice(0, 3), weightsRequested]).then(([config, tokenizer, tokenizerConfig]) => {
      /** @type {Map<string, FileEntry>} */
      const early = new Map([[CONFIG, /** @type {FileEntry} */ (config)]]);
      if (tokenizer) early.set(OPTIONAL_FILES[0], tokenizer);
      if (tokenizerConfig) early.set(OPTIONAL_FILES[1], tokenizerConfig);
      try {
        onTokenizerFiles(early);
      } catch {
        // a head start only: the load goes on as without it
      }
    }, () => {});
  }
  const config = await pending[0];
  // Fetched alongside the weights; awaited last (a failure elsewhere must not leave it unhandled).
  const modules = sentence_transformers ? collectModuleFiles(get, where) : Promise.resolve(new Map());
  modules.catch(() => {});
  const [tokenizer, tokenizerConfig] = await Promise.all(pending.slice(1, 3));
  /** @type {Map<string, FileEntry>} */
  const files = new Map();
  files.set(CONFIG, /** @type {FileEntry} */ (config));
  for (const [name, entry] of await weights) files.set(name, entry);
  if (tokenizer) files.set(OPTIONAL_FILES[0], tokenizer);
  if (tokenizerConfig) files.set(OPTIONAL_FILES[1], tokenizerConfig);
  for (const [name, entry] of await modules) files.set(name, entry);
  return files;
}

/**
 * Promise.all over `items` with at most `limit` calls in flight.
 * @template T, R
 * @param {T[]} items
 * @param {number} limit
 * @param {(item: T) => Promise<R>} fn
 * @returns {Promise<R[]>}
 */
export async function mapLimit(items, limit, fn) {
  /** @type {R[]} */
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * For local and in-memory sources: each file reported once, as already complete.
 * @param {ProgressCallback | undefined} callback
 * @param {string} name
 * @param {Map<string, FileEntry>} files
 */
export function emitLocalProgress(callback, name, files) {
  if (typeof callback !== 'function') return;
  for (const [file, entry] of files) {
    emit(callback, { status: 'initiate', name, file });
    emit(callback, { status: 'download', name, file });
    emit(callback, { status: 'progress', name, file, loaded: entry.size, total: entry.size, progress: 100 });
    emit(callback, { status: 'done', name, file });
  }
}
