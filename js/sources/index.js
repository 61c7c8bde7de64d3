// Model sources: what `BertologyModel.load(source, options)` accepts, resolved to the model's files.
//
//   '/path/to/model' or file: URL        a local directory (Node)
//   'https://host/path/' (or a URL)      a base URL: the file names are appended
//   '/models/x/', './x/', '../x/'        (browsers) a URL relative to the page / worker
//   'org/name'                            a Hugging Face model id: {host}/{org}/{name}/resolve/{revision}/{file}
//                                         (Node: only when no such local directory exists)
//   {'config.json': bytes, ...} or a Map  the files as ArrayBuffer / Uint8Array / Blob / string

import { BertologyError } from '../errors.js';
import { isNode, nodeModule } from '../runtime.js';
import { env } from './env.js';
import { directoryFiles, memoryFiles } from './local.js';
import { hubBaseUrl, looksLikeHubId, remoteFiles } from './remote.js';

export { env } from './env.js';
export { hubBaseUrl } from './remote.js';

/**
 * @typedef {string | URL | Map<string, import('./local.js').FileBytes> | Record<string, import('./local.js').FileBytes>} ModelSource
 */

/**
 * @typedef {import('./remote.js').RemoteOptions & {local_files_only?: boolean}} SourceOptions
 */

/** @param {string} s */
const withSlash = (s) => (s.endsWith('/') ? s : `${s}/`);

/** @param {unknown} v */
function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return 'a single buffer (give an object of file name → bytes)';
  return typeof v;
}

/**
 * @param {URL} url
 * @param {SourceOptions} options
 * @param {string} name
 */
async function fromUrl(url, options, name) {
  if (url.protocol === 'file:') {
    if (!isNode()) throw new BertologyError('file: URLs need Node; in browsers use http(s) URLs or bytes', { code: 'INVALID_ARGUMENT' });
    return directoryFiles(nodeModule('url').fileURLToPath(url), { ...options, name });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BertologyError(`unsupported URL protocol ${url.protocol} (use http:, https: or file:)`, { code: 'INVALID_ARGUMENT' });
  }
  if (options.local_files_only) {
    throw new BertologyError(`${url.href}: a remote source, but local_files_only is set`, { code: 'INVALID_ARGUMENT' });
  }
  const base = new URL(url.href);
  base.search = '';
  base.hash = '';
  return remoteFiles(withSlash(base.href), { ...options, name });
}

/**
 * @param {string} id
 * @param {SourceOptions} options
 */
function fromHub(id, options) {
  if (!env.allowRemoteModels) {
    throw new BertologyError(`${id}: loading Hugging Face model ids is disabled (env.allowRemoteModels = false)`,
      { code: 'INVALID_ARGUMENT' });
  }
  if (options.local_files_only) {
    throw new BertologyError(`${id}: no such local directory (local_files_only is set)`, { code: 'FILE_NOT_FOUND' });
  }
  return remoteFiles(hubBaseUrl(id, options), { ...options, name: id, hubId: id });
}

/**
 * The same error, its message prefixed (fields such as url, status and file kept).
 * @param {BertologyError} e
 * @param {string} prefix
 */
function asHubIdError(e, prefix) {
  if (!(e instanceof BertologyError)) return e;
  const wrapped = new BertologyError(`${prefix}; ${e.message}`, { code: e.code, cause: e, operation: e.operation });
  for (const k of ['url', 'status', 'file']) {
    if (/** @type {any} */ (e)[k] !== undefined) /** @type {any} */ (wrapped)[k] = /** @type {any} */ (e)[k];
  }
  return wrapped;
}

/**
 * Resolves `source` to the model's files: downloads remote ones (with progress events), checks that
 * local ones exist. Nothing is allocated in wasm memory yet.
 * @param {ModelSource} source
 * @param {SourceOptions} [options]
 * @returns {Promise<import('./common.js').ModelFiles>}
 */
export async function openModelFiles(source, options = {}) {
  if (source instanceof URL) return fromUrl(source, options, source.href);
  if (typeof source === 'string') {
    if (source.length === 0) throw new BertologyError('model source is an empty string', { code: 'INVALID_ARGUMENT' });
    if (/^(https?|file):/i.test(source) || /^[a-z][a-z0-9+.-]+:\/\//i.test(source)) return fromUrl(new URL(source), options, source);
    if (isNode()) {
      if (env.allowLocalModels) {
        if (nodeModule('fs').existsSync(source)) return directoryFiles(source, { ...options, name: source });
      }
      const folder = nodeModule('path').resolve(source);
      if (looksLikeHubId(source) && !source.startsWith('.')) {
        try {
          return await fromHub(source, options);
        } catch (e) {
          // say why a path-like string went to the hub
          const why = env.allowLocalModels ? `no folder ${folder} exists` : 'env.allowLocalModels is false';
          throw asHubIdError(/** @type {BertologyError} */ (e), `${source}: taken as a Hugging Face model id because ${why}`);
        }
      }
      throw new BertologyError(`model directory not found: ${source} (${folder})`, { code: 'FILE_NOT_FOUND' });
    }
    if (/^\.{0,2}\//.test(source)) {
      const here = /** @type {any} */ (globalThis).location?.href;
      if (!here) throw new BertologyError(`cannot resolve the relative URL ${source} here (no location)`, { code: 'INVALID_ARGUMENT' });
      return fromUrl(new URL(source, here), options, source);
    }
    if (looksLikeHubId(source)) return fromHub(source, options);
    throw new BertologyError(`model source ${JSON.stringify(source)} is neither a URL nor a Hugging Face model id ("org/name")`,
      { code: 'INVALID_ARGUMENT' });
  }
  if (source instanceof Map || (source && typeof source === 'object' && !Array.isArray(source) &&
      !ArrayBuffer.isView(source) && !(source instanceof ArrayBuffer))) {
    return memoryFiles(/** @type {any} */ (source), options);
  }
  throw new BertologyError('model source must be a directory path (Node), a URL, a Hugging Face model id ("org/name") ' +
    `or an object of file name → bytes; got ${describe(source)}`, { code: 'INVALID_ARGUMENT' });
}
