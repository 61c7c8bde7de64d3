// Model files → the engine. Every file is registered in a FileStore with `addSource(name, size,
// reader)`; the engine pulls byte ranges through the reader while it loads, tensor by tensor, straight
// into their packed form, so a model is never held twice in wasm memory. Where the bytes come from
// (a directory, a URL, the Hugging Face hub, ArrayBuffers) is js/sources/.
//
// A failed load leaves nothing allocated: the store is always deleted, and the engine deletes a
// model that failed to load (web/emscripten-pre.js, `loadModel`).

import { BertologyError, check, unwrap } from './errors.js';
import { openModelFiles } from './sources/index.js';
import { engineLimits } from './limits.js';

/** Every option of `BertologyModel.load` (anything else is rejected, like unknown call options). */
export const LOAD_OPTIONS = ['threads', 'dtype', 'limits', 'validate_weights', 'progress_callback', 'host', 'revision', 'cache', 'sha256',
  'fetch', 'headers', 'signal', 'local_files_only', 'name', 'sentence_transformers', 'progressive'];

/**
 * How the weights are held in memory: 'fp32' (float32, whatever the checkpoint stores: float32, float16
 * or bfloat16 are decoded) or 'q8' (int8 encoder weights and word embeddings, which a tied MLM decoder shares; quantized at load).
 */
export const DTYPES = ['fp32', 'q8'];

/** What transformers.js users may pass, and what to do instead. @type {Record<string, string>} */
const MIGRATION_HINTS = {
  device: 'Bertology always runs on WebAssembly (CPU): remove it',
  quantized: "use dtype: 'q8'",
  model_file_name: 'Bertology reads model.safetensors (or its shards) and config.json',
  subfolder: 'give the folder\'s URL or path as the source',
};

/**
 * Rejects unknown or invalid load options before anything is downloaded.
 * @param {unknown} options
 * @param {{operation?: string, alsoKnown?: string[]}} [context] `alsoKnown`: other accepted keys (a pipeline's task options)
 */
export function checkLoadOptions(options, { operation = 'BertologyModel.load', alsoKnown = [] } = {}) {
  if (options === undefined || options === null) return;
  check(typeof options === 'object' && !Array.isArray(options), `${operation}: options must be an object`);
  for (const key of Object.keys(/** @type {object} */ (options))) {
    if (LOAD_OPTIONS.includes(key) || alsoKnown.includes(key)) continue;
    const hint = Object.hasOwn(MIGRATION_HINTS, key) ? ` (${MIGRATION_HINTS[key]})` : '';
    throw new BertologyError(`${operation}: unknown option "${key}"${hint}; known: ${[...LOAD_OPTIONS, ...alsoKnown].join(', ')}`,
      { code: 'INVALID_ARGUMENT' });
  }
  const { dtype } = /** @type {{dtype?: unknown}} */ (options);
  check(dtype === undefined || DTYPES.includes(/** @type {string} */ (dtype)),
    `${operation}: dtype must be one of ${DTYPES.map((d) => `'${d}'`).join(', ')}, got ${JSON.stringify(dtype)}`);
}

export { CONFIG, WEIGHTS, WEIGHTS_INDEX, OPTIONAL_FILES } from './sources/common.js';
export { openModelFiles } from './sources/index.js';

/** @typedef {import('./sources/index.js').ModelSource} ModelSource */

/**
 * A new engine FileStore over `modelFiles`: each file registered with a reader the engine pulls byte
 * ranges through. A reader's exception is recorded (the first one is `readError()`), never thrown
 * into the engine. The caller deletes the store.
 * @param {import('./runtime.js').EngineModule} module
 * @param {import('./sources/common.js').ModelFiles} modelFiles
 * @returns {{store: any, readError: () => {file: string, error: unknown} | null}}
 */
export function createFileStore(module, modelFiles) {
  const filling = newFileStore(module);
  for (const [file, entry] of modelFiles.files) filling.add(file, entry);
  return filling;
}

/**
 * An empty engine FileStore and how to add files to it (`added`: the files so far). The caller deletes
 * the store.
 * @param {import('./runtime.js').EngineModule} module
 */
function newFileStore(module) {
  /** @type {{file: string, error: unknown} | null} */
  let readError = null;
  const store = new module.FileStore();
  /** @type {Map<string, import('./sources/common.js').FileEntry>} */
  const added = new Map();
  /**
   * @param {string} file
   * @param {import('./sources/common.js').FileEntry} entry
   */
  const add = (file, entry) => {
    added.set(file, entry);
    // The engine calls this synchronously while loading; it must never throw.
    store.addSource(file, entry.size, (/** @type {number} */ offset, /** @type {number} */ length, /** @type {Uint8Array} */ view) => {
      try {
        return entry.read(offset, length, view);
      } catch (error) {
        readError ??= { file, error };
        return -1;
      }
    });
  };
  return { store, add, added, readError: () => readError };
}

/**
 * A FileStore holding config.json and the tokenizer files, with the tokenizer built from them
 * (`prepareTokenizer`), made while the weights still download; `loadIntoEngine` adds the other files
 * and the engine takes the tokenizer built here (or its error). The caller deletes `store` when it is
 * not handed to loadIntoEngine.
 * @param {import('./runtime.js').Runtime} runtime
 * @param {Map<string, import('./sources/common.js').FileEntry>} files config.json and the tokenizer files that exist
 * @returns {EarlyStore}
 */
export function prepareTokenizer(runtime, files) {
  const filling = newFileStore(runtime.module);
  for (const [file, entry] of files) filling.add(file, entry);
  filling.store.prepareTokenizer();
  return { ...filling, module: runtime.module };
}

/** @typedef {ReturnType<typeof newFileStore> & {module: import('./runtime.js').EngineModule}} EarlyStore */

/**
 * The FILE_READ error for a reader that failed during `operation` (null when none did).
 * @param {{file: string, error: unknown} | null} readError
 * @param {string} operation e.g. "loadModel(/path)"
 */
export function fileReadError(readError, operation) {
  if (!readError) return null;
  const { file, error } = readError;
  return new BertologyError(`${operation}: cannot read ${file}: ${/** @type {Error} */ (error)?.message ?? error}`,
    { code: 'FILE_READ', cause: error, operation: operation.replace(/\(.*$/, '') });
}

/**
 * Creates the engine's model from `files` on `runtime`. Always releases the store; throws a
 * BertologyError (FILE_READ when a reader failed, else the engine's error and its code).
 * @param {import('./runtime.js').Runtime} runtime
 * @param {import('./sources/common.js').ModelFiles} modelFiles
 * @param {{dtype?: string, limits?: Record<string, number>, validate_weights?: boolean, defer_word_embeddings?: boolean}} [engineOptions] `dtype: 'q8'` loads int8
 *   encoder weights and word embeddings (the default: fp32, or q8 for a folder converted with
 *   `bertology convert --dtype q8`); `limits` raises/lowers the engine's limits (docs/hardening.md, "Limits");
 *   `validate_weights: false` skips the finite-weights check; `defer_word_embeddings` leaves the
 *   word-embedding rows pending (progressive loading: the model keeps reading them through the weights
 *   file's reader, which must stay valid until the table is complete).
 * @param {EarlyStore | null} [early] prepareTokenizer's store for these files (released here too)
 * @returns {import('./engine-contract.js').EngineModel} the engine model handle
 */
export function loadIntoEngine(runtime, modelFiles, engineOptions = {}, early = null) {
  let filling;
  if (early && early.module === runtime.module && [...early.added].every(([f, e]) => modelFiles.files.get(f) === e)) {
    filling = early;
    for (const [file, entry] of modelFiles.files) if (!early.added.has(file)) early.add(file, entry);
  } else {
    early?.store.delete();
    filling = createFileStore(runtime.module, modelFiles);
  }
  const { store, readError } = filling;
  try {
    const { dtype, limits, validate_weights, defer_word_embeddings } = engineOptions;
    // No dtype: the engine's default (fp32, or the folder's own int8 when it was converted to q8).
    const result = runtime.module.loadModel(store, JSON.stringify({ dtype, limits: engineLimits(limits), validate_weights,
      ...(defer_word_embeddings ? { defer_word_embeddings } : {}) }));
    const failedRead = result && 'error' in result ? fileReadError(readError(), `loadModel(${modelFiles.label})`) : null;
    if (failedRead) throw failedRead;
    return unwrap(result, `loadModel(${modelFiles.label})`).model;
  } finally {
    store.delete();
  }
}

/**
 * Opens `source` and loads it into the engine (without the model wrapper).
 * @param {import('./runtime.js').Runtime} runtime
 * @param {ModelSource} source
 * @param {import('./sources/index.js').SourceOptions & {dtype?: string, limits?: Record<string, number>}} [options]
 * @returns {Promise<{handle: any, files: import('./sources/common.js').ModelFiles}>}
 */
export async function loadSource(runtime, source, options) {
  const files = await openModelFiles(source, options);
  try {
    return { handle: loadIntoEngine(runtime, files, options), files };
  } finally {
    files.close();
  }
}
