// Model files → the engine. Every file is registered in a FileStore with `addSource(name, size,
// reader)`; the engine pulls byte ranges through the reader while it loads, tensor by tensor, straight
// into their packed form, so a model is never held twice in wasm memory. Where the bytes come from
// (a directory, a URL, the Hugging Face hub, ArrayBuffers) is js/sources/.
//
// A failed load leaves nothing allocated: the store is always deleted, and the engine deletes a
// model that failed to load (web/emscripten-pre.js, `loadModel`).

import { BertologyError, unwrap } from './errors.js';
import { openModelFiles } from './sources/index.js';

export { CONFIG, WEIGHTS, WEIGHTS_INDEX, OPTIONAL_FILES } from './sources/common.js';
export { openModelFiles } from './sources/index.js';

/** @typedef {import('./sources/index.js').ModelSource} ModelSource */

/**
 * Creates the engine's model from `files` on `runtime`. Always releases the store; throws a
 * BertologyError (FILE_READ when a reader failed, else the engine's ENGINE error).
 * @param {import('./runtime.js').Runtime} runtime
 * @param {import('./sources/common.js').ModelFiles} modelFiles
 * @param {{dtype?: string, limits?: Record<string, number>}} [engineOptions] `dtype: 'q8'` loads int8
 *   encoder weights and word embeddings; `limits` raises/lowers the engine's limits (docs/hardening.md, "Limits").
 * @returns {any} the engine model handle
 */
export function loadIntoEngine(runtime, modelFiles, engineOptions = {}) {
  const { module } = runtime;
  /** @type {{file: string, error: unknown} | null} */
  let readError = null;
  const store = new module.FileStore();
  try {
    for (const [file, entry] of modelFiles.files) {
      // The engine calls this synchronously while loading; it must never throw.
      store.addSource(file, entry.size, (/** @type {number} */ offset, /** @type {number} */ length, /** @type {Uint8Array} */ view) => {
        try {
          return entry.read(offset, length, view);
        } catch (error) {
          readError ??= { file, error };
          return -1;
        }
      });
    }
    const { dtype, limits } = engineOptions;
    const result = module.loadModel(store, JSON.stringify({ dtype: dtype ?? 'fp32', limits }));
    if (result && 'error' in result && readError) {
      const { file, error } = readError;
      throw new BertologyError(`loadModel(${modelFiles.label}): cannot read ${file}: ${/** @type {Error} */ (error)?.message ?? error}`,
        { code: 'FILE_READ', cause: error, operation: 'loadModel' });
    }
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
