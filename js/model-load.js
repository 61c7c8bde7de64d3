// Loading a model, up to the engine handle: the load options checked, the source opened (a remote
// source's tokenizer built while its weights download), the engine load — progressive when the weights
// carry a deferred word-embedding table — and what the JS layer reads from the files besides the engine.
// BertologyModel.load (js/model.js) makes the model from what loadEngine returns.

import { BertologyError, check } from './errors.js';
import { checkLoadOptions, loadIntoEngine, openModelFiles, prepareTokenizer } from './files.js';
import { getRuntime } from './runtime.js';
import { mark } from './runtime/host.js';
import { checkLimitsOption } from './limits.js';
// ACCEPT_DEFERRED: remote sources hand out a weights entry with a `deferred` word-embedding table only to
// a consumer that opts in with this symbol option (progressive loading)
import { ACCEPT_DEFERRED, ON_TOKENIZER_FILES, readText } from './sources/common.js';
import { readSentenceTransformers } from './sentence-transformers.js';

/** @typedef {import('./model.js').LoadOptions} LoadOptions */
/** @typedef {import('./sources/common.js').ModelFiles} ModelFiles */

/**
 * What the JS layer reads from a model's files besides the engine: config.json as written (for
 * fields the engine does not use, e.g. a cross-encoder's activation) and the sentence-transformers
 * configuration.
 * @typedef {{config: Record<string, any>, sentence_transformers: import('./sentence-transformers.js').SentenceTransformersConfig | null}} ModelExtras
 */

/**
 * @param {ModelFiles} files
 * @returns {ModelExtras}
 */
function readExtras(files) {
  let config = {};
  const entry = files.files.get('config.json');
  try {
    const parsed = entry ? JSON.parse(readText(entry)) : {};
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) config = parsed;
  } catch {
    // the engine reports an unreadable config.json
  }
  return { config, sentence_transformers: readSentenceTransformers(files.files, files.label) };
}

/**
 * The deferred word-embedding table of a remote source's weights (FileEntry.deferred), or null.
 * @param {ModelFiles} files
 * @returns {import('./sources/common.js').DeferredTensor | null}
 */
function deferredTable(files) {
  for (const entry of files.files.values()) {
    const deferred = /** @type {any} */ (entry).deferred;
    if (deferred) return deferred;
  }
  return null;
}

/**
 * Rejects unknown or invalid options of BertologyModel.load before anything is downloaded.
 * @param {LoadOptions} options
 */
export function checkModelLoadOptions(options) {
  checkLoadOptions(options);
  checkLimitsOption(options?.limits, 'BertologyModel.load');
  check(options?.validate_weights === undefined || typeof options.validate_weights === 'boolean',
    'BertologyModel.load: validate_weights must be a boolean');
  check(options?.progressive === undefined || typeof options.progressive === 'boolean',
    'BertologyModel.load: progressive must be a boolean');
}

/**
 * The runtime and the opened files of `source`. A remote source has config.json and the tokenizer files
 * well before the weights: the tokenizer is built then (tens of ms for a BERT vocabulary), into `early`,
 * which loadEngine hands to the engine (or null: the engine load builds it).
 * @param {import('./files.js').ModelSource} source
 * @param {LoadOptions} options
 * @returns {Promise<{runtime: import('./runtime.js').Runtime, files: ModelFiles, early: import('./files.js').EarlyStore | null}>}
 */
export async function openModelSource(source, options) {
  const pendingRuntime = getRuntime({ threads: options?.threads });
  let filesReady = false;
  /** @type {import('./files.js').EarlyStore | null} */
  let early = null;
  const openOptions = {
    ...(options ?? {}),
    // Progressive loading: the model can take the weights before the word-embedding table has arrived.
    ...(options?.progressive === true ? { [ACCEPT_DEFERRED]: true } : {}),
    [ON_TOKENIZER_FILES]: (/** @type {Map<string, import('./sources/common.js').FileEntry>} */ tokenizerFiles) => {
      if (!tokenizerFiles.has('tokenizer.json')) return;
      pendingRuntime.then((runtime) => {
        if (filesReady || early) return;
        early = prepareTokenizer(runtime, tokenizerFiles);
        mark('tokenizer-built');
      }, () => {});
    },
  };
  let runtime;
  let files;
  try {
    [runtime, files] = await Promise.all([pendingRuntime, openModelFiles(source, openOptions).finally(() => {
      filesReady = true; // from now on, no early tokenizer (the load builds it, or has failed)
    }).then((f) => {
      mark('files-ready');
      return f;
    })]);
  } catch (e) {
    /** @type {import('./files.js').EarlyStore | null} */ (early)?.store.delete();
    throw e;
  }
  return { runtime, files, early };
}

/**
 * The engine load of opened files. Progressive loading: when the source handed out the weights before the
 * word-embedding table's bytes (FileEntry.deferred; a source does so only when asked: progressive: true),
 * the engine loads with those rows pending and `deferred` is returned: the files stay open for its rows
 * (the caller closes them once the table is complete, failed or disposed). Otherwise the files are closed.
 * Releases `early` either way.
 * @param {import('./runtime.js').Runtime} runtime
 * @param {ModelFiles} files
 * @param {import('./files.js').EarlyStore | null} early
 * @param {LoadOptions} [options]
 * @returns {Promise<{handle: import('./engine-contract.js').EngineModel, extras: ModelExtras,
 *   deferred: import('./sources/common.js').DeferredTensor | null}>}
 */
export async function loadEngine(runtime, files, early, options) {
  let handle;
  let extras;
  let deferred = options?.progressive === false ? null : deferredTable(files);
  const engineOptions = { dtype: options?.dtype, limits: options?.limits, validate_weights: options?.validate_weights };
  try {
    extras = readExtras(files);
    mark('engine-load');
    const handedOver = early;
    early = null; // loadIntoEngine releases it
    try {
      handle = loadIntoEngine(runtime, files, { ...engineOptions, defer_word_embeddings: Boolean(deferred) }, handedOver);
    } catch (e) {
      // A decoder tied to the table (fill-mask) needs it whole at load: load once it has arrived.
      if (!deferred || !(e instanceof BertologyError) || e.code !== 'UNSUPPORTED' || e.field !== deferred.name) throw e;
      await deferred.complete;
      deferred = null;
      handle = loadIntoEngine(runtime, files, engineOptions);
    }
    mark('engine-loaded');
  } finally {
    /** @type {import('./files.js').EarlyStore | null} */ (early)?.store.delete();
    if (!deferred || !handle) files.close();
  }
  return { handle, extras, deferred };
}
