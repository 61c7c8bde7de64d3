// Remote sources: a base URL (`https://host/path/` + file names) or a Hugging Face model id
// (`org/name` → `{host}/{org}/{name}/resolve/{revision}/{file}`). Each file is downloaded whole into
// JS memory (with progress events), checked (HTTP status, HTML instead of JSON/weights, SHA-256 when
// known), optionally stored in the Cache API, and then streamed into the engine slice by slice. A
// weights file whose last data is the word-embedding table may be handed out before the table has
// downloaded (./progressive.js), when the consumer accepts that (ACCEPT_DEFERRED).
//
// No directory listing is needed: files are asked for by name. An optional file (the weights index,
// model.safetensors when there is no index, the tokenizer files) is absent when the server answers
// 404/410 — or an HTML page (content-type text/html, or a body that starts like HTML), which is what
// hosts that rewrite unknown paths to index.html (single-page apps, Vite's dev server) send. A required
// file answered with HTML is a BAD_RESPONSE error.

import { BertologyError } from '../errors.js';
import { ACCEPT_DEFERRED, bytesEntry, collectFiles, emit, ON_TOKENIZER_FILES, PROGRESSIVE_TUNING, WEIGHTS_INDEX } from './common.js';
import { env } from './env.js';
import { mark } from '../runtime/host.js';
import { deferredShard, readRest, sourceError as fail, streamWeights } from './progressive.js';

/**
 * Options of remote sources (all optional; defaults from `env`).
 * @typedef {object} RemoteOptions
 * @property {import('./common.js').ProgressCallback} [progress_callback]
 * @property {string} [host] hub host for model ids (env.remoteHost)
 * @property {string} [revision] hub revision (env.revision, "main")
 * @property {boolean | string | CacheLike} [cache] Cache API storage: true, a cache name, or an object with match/put
 * @property {Record<string, string>} [sha256] expected SHA-256 (hex) per file name
 * @property {typeof fetch} [fetch] fetch implementation
 * @property {Record<string, string>} [headers] extra request headers
 * @property {AbortSignal} [signal] aborts the downloads
 * @property {boolean} [sentence_transformers] also get a sentence-transformers model's module files
 * @property {boolean} [progressive] false: never hand out a weights file before its word-embedding table
 *   has downloaded (default true; applies only to consumers that accept it, ACCEPT_DEFERRED)
 */

/**
 * The part of the Cache API used here (a `Cache`, or any object that behaves like one).
 * @typedef {{match: (url: string) => Promise<Response | undefined>, put: (url: string, r: Response) => Promise<void>,
 *   delete?: (url: string) => Promise<boolean>}} CacheLike
 */

const HUB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;

/** @param {string} s */
export function looksLikeHubId(s) {
  return HUB_ID.test(s) && !s.includes('..') && !s.endsWith('.') && !s.includes('--');
}

/**
 * The base URL of a hub model's files.
 * @param {string} id
 * @param {{host?: string, revision?: string}} [options]
 */
export function hubBaseUrl(id, { host = env.remoteHost, revision = env.revision } = {}) {
  const root = host.endsWith('/') ? host : `${host}/`;
  const path = env.remotePathTemplate.replaceAll('{model}', id).replaceAll('{revision}', encodeURIComponent(revision));
  return new URL(path.endsWith('/') ? path : `${path}/`, root).href;
}

/** @param {string | null} contentType */
const isHtmlType = (contentType) => /\b(text\/html|application\/xhtml)/i.test(contentType ?? '');

/** @param {Uint8Array} bytes */
function looksLikeHtml(bytes) {
  const head = new TextDecoder().decode(bytes.subarray(0, 256)).trimStart().toLowerCase();
  return /^<(!doctype|html|head|body|\?xml|title|meta|script|!--)/.test(head);
}

/** @param {string | null} etag */
function linkedSha256(etag) {
  const v = (etag ?? '').replace(/^W\//, '').replace(/"/g, '').trim().toLowerCase();
  return /^[0-9a-f]{64}$/.test(v) ? v : null;
}

/** @param {Uint8Array} bytes */
async function sha256Hex(bytes) {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new BertologyError('cannot verify SHA-256: crypto.subtle is unavailable (a browser only offers it in secure contexts: https or localhost)',
      { code: 'INTEGRITY' });
  }
  const digest = new Uint8Array(await subtle.digest('SHA-256', /** @type {Uint8Array<ArrayBuffer>} */ (bytes)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * @param {RemoteOptions['cache']} option
 * @returns {Promise<CacheLike | null>}
 */
async function openCache(option) {
  if (!option) return null;
  if (typeof option === 'object' && typeof option.match === 'function' && typeof option.put === 'function') return option;
  const caches = /** @type {any} */ (globalThis).caches;
  if (!caches || typeof caches.open !== 'function') return null; // Node, or an insecure browser context
  try {
    return await caches.open(typeof option === 'string' ? option : env.cacheName);
  } catch {
    return null;
  }
}

/**
 * Reads a response body into one Uint8Array, reporting progress.
 * @param {Response} res
 * @param {((loaded: number, total: number) => void) | null} onProgress null: nobody listens (one read)
 * @param {string} url
 * @param {(first: Uint8Array) => boolean} [reject] sees the first chunk; true stops the download (returns null)
 * @returns {Promise<Uint8Array | null>}
 */
async function readBody(res, onProgress, url, reject) {
  const encoding = (res.headers.get('content-encoding') ?? 'identity').toLowerCase();
  const length = Number(res.headers.get('content-length'));
  // A compressed body's Content-Length counts compressed bytes: the total is unknown then.
  const declared = encoding === 'identity' && Number.isSafeInteger(length) && length > 0 ? length : 0;
  // Nobody listens to progress: the body in one piece, which the browser assembles off the main thread
  // (reading it chunk by chunk in JS cost ~60-200 ms of main-thread time for bert-mini's 11.5 MB).
  if (!onProgress || !res.body || typeof res.body.getReader !== 'function') {
    const all = new Uint8Array(await res.arrayBuffer());
    if (reject?.(all)) return null;
    if (declared > 0 && all.byteLength < declared) {
      throw fail(`download of ${url} ended after ${all.byteLength} of ${declared} bytes`, 'NETWORK', { url });
    }
    onProgress?.(all.byteLength, all.byteLength);
    return all;
  }
  const reader = res.body.getReader();
  const first = await reader.read();
  if (first.done) return readRest(reader, [], declared, onProgress, url);
  if (reject?.(first.value)) {
    reader.cancel().catch(() => {});
    return null;
  }
  return readRest(reader, [first.value], declared, onProgress, url);
}

/**
 * The files of a model under `baseUrl`.
 * @param {string} baseUrl ends with '/'
 * @param {RemoteOptions & {name: string, hubId?: string}} options
 * @returns {Promise<import('./common.js').ModelFiles>}
 */
export async function remoteFiles(baseUrl, options) {
  const { progress_callback, name, hubId } = options;
  const fetchImpl = options.fetch ?? env.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') throw new BertologyError('no fetch() available to download the model', { code: 'RUNTIME' });
  const headers = { ...(env.headers ?? {}), ...(options.headers ?? {}) };
  const cache = await openCache(options.cache ?? env.cache);
  const expected = options.sha256 ?? {};
  // One failure cancels the other downloads.
  const controller = new AbortController();
  const outer = options.signal;
  if (outer) {
    if (outer.aborted) controller.abort(outer.reason);
    else outer.addEventListener('abort', () => controller.abort(outer.reason), { once: true });
  }
  const where = hubId ? `Hugging Face model ${hubId} (${baseUrl})` : baseUrl;
  // Progressive weights: the consumer handles deferred entries and the load allows them.
  const progressive = /** @type {any} */ (options)[ACCEPT_DEFERRED] === true && options.progressive !== false;
  /** Deferred files handed out: cancelled when the load fails or the files are closed. @type {Array<(e: BertologyError) => void>} */
  const cancels = [];
  /** @type {(e: unknown) => void} */
  let deferredFailed = () => {};
  // a deferred file that fails before every file is in fails the load
  const failedEarly = new Promise((_, reject) => { deferredFailed = reject; });
  failedEarly.catch(() => {});
  /** @type {(v?: unknown) => void} */
  let allIn = () => {};
  // the deferred tables stream once every file has been handed out
  const resume = new Promise((resolve) => { allIn = resolve; });
  /**
   * The error for a failed body read or range request (BertologyErrors as they are).
   * @param {string} url @param {string} file
   * @returns {(cause: unknown) => BertologyError}
   */
  const networkError = (url, file) => (cause) => {
    if (cause instanceof BertologyError) return cause;
    if (outer?.aborted) return fail(`download of ${url} aborted`, 'ABORTED', { url, file, cause });
    const e = /** @type {any} */ (cause);
    const detail = e?.cause?.code ?? e?.cause?.message ?? '';
    return fail(`download of ${url} failed: ${e?.message ?? e}${detail ? ` (${detail})` : ''}`, 'NETWORK', { url, file, cause });
  };

  /**
   * @param {string} file
   * @param {string} url
   * @param {AbortSignal} [unneeded] the file turned out not to be needed
   * @returns {Promise<Response | null>} null for a 404/410
   */
  const request = async (file, url, unneeded) => {
    let res;
    try {
      const signal = unneeded ? AbortSignal.any([controller.signal, unneeded]) : controller.signal;
      res = await fetchImpl(url, { headers, signal });
    } catch (cause) {
      if (outer?.aborted) throw fail(`download of ${url} aborted`, 'NETWORK', { url, file, cause });
      const e = /** @type {any} */ (cause);
      const detail = e?.cause?.code ?? e?.cause?.message ?? '';
      throw fail(`cannot fetch ${url}: ${e?.message ?? e}${detail ? ` (${detail})` : ''}`, 'NETWORK', { url, file, cause });
    }
    if (!res.ok) res.body?.cancel().catch(() => {});
    if (res.status === 404 || res.status === 410) return null;
    if (!res.ok) {
      const hint = res.status === 401 || res.status === 403
        ? (hubId ? ' (a private or gated model, or no such model id: pass headers: {Authorization: "Bearer <token>"})' : ' (access denied)')
        : '';
      throw fail(`cannot fetch ${url}: HTTP ${res.status} ${res.statusText}${hint}`, 'NETWORK', { url, status: res.status, file });
    }
    return res;
  };

  /** Why optional files were taken as absent (for the missing-weights message). @type {Map<string, string>} */
  const absent = new Map();
  const HTML_PAGE = 'an HTML page (the server\'s page for unknown paths)';

  /**
   * GETs of byte ranges of `url` (outside the browser's HTTP cache: no use keeping them, and no wait
   * behind the whole file's cache entry).
   * @param {string} url
   * @returns {(begin: number, end: number, signal: AbortSignal) => Promise<Response>}
   */
  const rangeFetch = (url) => (begin, end, signal) =>
    fetchImpl(url, { headers: { ...headers, Range: `bytes=${begin}-${end - 1}` }, signal, cache: 'no-store' });

  /**
   * A file's progress events: `start` (initiate, download; once), `onProgress` (starts them too).
   * @param {string} file
   */
  const events = (file) => {
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      emit(progress_callback, { status: 'initiate', name, file });
      emit(progress_callback, { status: 'download', name, file });
    };
    const onProgress = typeof progress_callback === 'function' ? (/** @type {number} */ loaded, /** @type {number} */ total) => {
      start();
      emit(progress_callback, { status: 'progress', name, file, loaded, total, progress: total > 0 ? (loaded / total) * 100 : 0 });
    } : null;
    return { start, onProgress };
  };

  /**
   * A shard that holds only the word-embedding table (the index says so): its first 64 KiB by a Range
   * request, handed out from its header; its body asked for once the other files are in. Null when
   * that does not apply (no 206, an X-Linked-Etag to check, another layout): the caller downloads it.
   * @param {string} file
   * @param {string} url
   * @returns {Promise<{got: import('./progressive.js').DeferredResult, res: Response} | null>}
   */
  const tableShard = async (file, url) => {
    let res;
    let prefix;
    try {
      res = await fetchImpl(url, { headers: { ...headers, Range: 'bytes=0-65535' }, signal: controller.signal, cache: 'no-store' });
      if (res.status !== 206 || isHtmlType(res.headers.get('content-type')) || linkedSha256(res.headers.get('x-linked-etag'))) {
        res.body?.cancel().catch(() => {});
        return null;
      }
      prefix = new Uint8Array(await res.arrayBuffer());
    } catch (cause) {
      throw networkError(url, file)(cause);
    }
    const { onProgress } = events(file);
    const got = await deferredShard(prefix, res.headers,
      (from, signal) => fetchImpl(url, { headers: { ...headers, Range: `bytes=${from}-` }, signal }),
      { url, file, onProgress, reject: undefined, signal: controller.signal, networkError: networkError(url, file), resume,
        tuning: /** @type {any} */ (options)[PROGRESSIVE_TUNING], fetchRange: rangeFetch(url) });
    return got && 'entry' in got ? { got, res } : null;
  };

  /**
   * The file's bytes; null when an optional file turns out to be an HTML page.
   * @param {string} file
   * @param {Response} res
   * @param {string} url
   * @param {boolean} fromCache
   * @param {boolean} required
   * @returns {Promise<Uint8Array | import('./progressive.js').DeferredResult | null>} a deferred file's
   *   result when it is handed out before its table has downloaded
   */
  const download = async (file, res, url, fromCache, required) => {
    const contentType = res.headers.get('content-type');
    const isJson = file.endsWith('.json');
    const what = isJson ? 'JSON' : 'the model weights';
    if (isHtmlType(contentType)) {
      res.body?.cancel().catch(() => {});
      if (!required) return null;
      throw fail(`${url} returned an HTML page (content-type: ${contentType}) instead of ${what}: check the URL or model id`,
        'BAD_RESPONSE', { url, status: res.status, file });
    }
    const { start, onProgress } = events(file);
    // An optional file's events start once its first bytes are known not to be an HTML page.
    if (required) start();
    const reject = required ? undefined : looksLikeHtml;
    const want = expected[file]?.toLowerCase() ?? (fromCache ? null : linkedSha256(res.headers.get('x-linked-etag')));
    let bytes;
    try {
      if (progressive && !want && !fromCache && file.endsWith('.safetensors') && typeof res.body?.getReader === 'function') {
        const got = await streamWeights(res, {
          url, file, onProgress, reject, signal: controller.signal, networkError: networkError(url, file), resume,
          tuning: /** @type {any} */ (options)[PROGRESSIVE_TUNING],
          fetchRange: rangeFetch(url),
        });
        if (got && 'entry' in got) {
          start();
          return got;
        }
        bytes = got?.bytes ?? null;
      } else {
        bytes = await readBody(res, onProgress, url, reject);
      }
    } catch (e) {
      throw networkError(url, file)(e); // a body cut short or aborted: NETWORK / ABORTED naming the URL
    }
    if (!bytes || looksLikeHtml(bytes)) {
      if (!required) return null;
      throw fail(`${url} returned an HTML page instead of ${what}: check the URL or model id`,
        'BAD_RESPONSE', { url, status: res.status, file });
    }
    start();
    if (want) {
      const got = await sha256Hex(bytes);
      if (got !== want) {
        const source = expected[file] ? 'the sha256 option' : 'the server\'s X-Linked-Etag';
        throw fail(`${file}: SHA-256 mismatch for ${url}${fromCache ? ' (cached copy)' : ''}: expected ${want} (from ${source}), got ${got}`,
          'INTEGRITY', { url, file });
      }
    }
    return bytes;
  };

  /**
   * Stores a downloaded file in the Cache API (when caching); failures (quota exceeded …) are ignored:
   * the model still loads.
   * @param {string} url @param {Response} res @param {Uint8Array} bytes
   */
  const store = async (url, res, bytes) => {
    if (!cache) return;
    const type = res.headers.get('content-type') ?? 'application/octet-stream';
    await cache.put(url, new Response(/** @type {Uint8Array<ArrayBuffer>} */ (bytes), { headers: { 'content-type': type, 'content-length': String(bytes.byteLength) } }))
      .catch(() => {});
  };

  /**
   * Hands out a deferred file: cancelled with the load, 'done' and the Cache API put when it completes.
   * @param {string} file @param {string} url @param {Response} res
   * @param {import('./progressive.js').DeferredResult} got
   */
  const handOut = (file, url, res, got) => {
    cancels.push(got.cancel);
    got.entry.deferred.complete.catch(deferredFailed);
    got.whole.then(async (whole) => {
      await store(url, res, whole);
      emit(progress_callback, { status: 'done', name, file });
      mark(`downloaded ${file}`);
    }, () => {});
    mark(`deferred ${file}`);
    return got.entry;
  };

  /** @type {import('./common.js').FileGetter} */
  const get = async (file, required, unneeded, hints) => {
    const url = new URL(file, baseUrl).href;
    let bytes = null;
    if (cache) {
      const hit = await cache.match(url).catch(() => undefined);
      if (hit) {
        try {
          bytes = /** @type {Uint8Array | null} */ (await download(file, hit, url, true, true));
        } catch (e) {
          if (/** @type {BertologyError} */ (e).code !== 'INTEGRITY') throw e;
          await cache.delete?.(url)?.catch(() => false); // a bad cached copy: fetch it again
        }
      }
    }
    if (!bytes) {
      // asked for before knowing it is needed (model.safetensors beside the index): a cached index says it
      // is not (it wins), so a model in the cache costs no request
      if (unneeded && cache && await cache.match(new URL(WEIGHTS_INDEX, baseUrl).href).catch(() => undefined)) return null;
      if (hints?.tableOnly && progressive && !expected[file]) {
        const shard = await tableShard(file, url);
        if (shard) return handOut(file, url, shard.res, shard.got);
      }
      const res = await request(file, url, unneeded);
      if (!res) {
        absent.set(file, 'HTTP 404');
        if (!required) return null;
        const hint = hubId ? ' (check the model id and revision)' : '';
        throw fail(`model file ${file} not found: ${url} (HTTP 404)${hint}`, 'FILE_NOT_FOUND', { url, status: 404, file });
      }
      const got = await download(file, res, url, false, required);
      if (got && 'entry' in got) {
        if (unneeded?.aborted) { // not needed after all (model.safetensors beside an index)
          got.cancel(new BertologyError(`download of ${url} cancelled: not needed`, { code: 'ABORTED' }));
          return null;
        }
        return handOut(file, url, res, got);
      }
      bytes = got;
      if (unneeded?.aborted) return null; // downloaded before it turned out not to be needed: no events
      if (!bytes) {
        absent.set(file, HTML_PAGE);
        return null;
      }
      await store(url, res, bytes);
    }
    if (unneeded?.aborted) return null;
    emit(progress_callback, { status: 'done', name, file });
    mark(`downloaded ${file}`);
    return bytesEntry(bytes);
  };

  try {
    const collected = collectFiles(get, (what) => {
      const url = new URL(what.split(' ')[0], baseUrl).href;
      const index = 'model.safetensors.index.json';
      const why = (/** @type {string} */ f) => absent.get(f) ?? 'HTTP 404';
      return fail(`model weights not found in ${where}: neither ${new URL(index, baseUrl).href} (${why(index)}) ` +
        `nor ${url} (${why('model.safetensors')}) exists`, 'FILE_NOT_FOUND', { url, status: 404, file: 'model.safetensors' });
    }, where, { sentence_transformers: options.sentence_transformers,
      onTokenizerFiles: /** @type {any} */ (options)[ON_TOKENIZER_FILES] });
    collected.catch(() => {}); // awaited in the race below
    const files = await Promise.race([collected, /** @type {Promise<never>} */ (failedEarly)]);
    allIn();
    const close = () => {
      files.clear();
      const closed = new BertologyError(`${where}: the model files were closed before the weights finished downloading`, { code: 'ABORTED' });
      for (const cancel of cancels.splice(0)) cancel(closed);
    };
    return { label: where, name, files, close };
  } catch (e) {
    controller.abort();
    for (const cancel of cancels.splice(0)) cancel(/** @type {BertologyError} */ (e));
    allIn();
    throw e;
  }
}
