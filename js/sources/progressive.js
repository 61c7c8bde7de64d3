// Progressive weights (issue 14, time to first result). A remote safetensors file whose last data is
// the word-embedding table (a q8 conversion: `bertology convert` writes it last; the published
// bert-mini float16 checkpoint: alone in its first shard) is read as a stream: its header is parsed
// from the first bytes, and the file is handed out — a FileEntry with `deferred` (the contract:
// docs/loading.md, "Progressive weights") — as soon as every byte before the table has arrived. The
// rest is read into the same buffer in the background once the load's other files are in (`resume`).
// A shard holding the table alone starts from a Range request for its first bytes instead, and its
// body is asked for only then (deferredShard: Chromium keeps receiving a body that is not being read,
// so an early stream would share bandwidth with the other shards). `deferred.ensure(ranges)` makes
// table rows readable: rows the stream already has are served at once, rows it will reach very soon are waited for, the
// others are fetched with HTTP Range requests (nearby rows coalesced into few single-range requests,
// a bounded number in flight). A server that ignores Range (200) is taken at its word: that response
// is cancelled and every later row waits for the stream. Any failure (the stream, a range request,
// the load's abort signal, `cancel`) fails the file: `complete` and every pending `ensure` reject
// with a BertologyError naming the URL; `complete` always has a handler attached.
//
// A file whose layout is not recognised (no single table at its end, a header that does not parse,
// a Content-Length that disagrees with the header, a compressed body) is read whole, as before
// (./table-layout.js finds the table from the first bytes).

import { BertologyError } from '../errors.js';
import { findTable, WORD_EMBEDDINGS } from './table-layout.js';

export { WORD_EMBEDDINGS };

/**
 * Tuning (the defaults suit loopback and ordinary networks; tests set them through the internal load
 * option PROGRESSIVE_TUNING, js/sources/common.js).
 * @typedef {object} ProgressiveTuning
 * @property {number} [soonBytes] wait for the stream when it is this close to a range's end (default:
 *   what it delivered in the last request latency's time, up to 4 MiB: 0 while it is held back or stalls;
 *   rows left to it are fetched after all if it has not brought them within two latencies)
 * @property {number} [gapBytes] ranges closer than this are fetched in one request (default 16 KiB)
 * @property {number} [maxRequests] at most this many requests per ensure() call: the closest requests
 *   are merged until there are no more (default 16)
 * @property {number} [concurrency] range requests in flight per file (default 4)
 */

/**
 * @typedef {import('./common.js').FileEntry} FileEntry
 * @typedef {import('./common.js').DeferredTensor} DeferredTensor
 */

/**
 * What the reader needs from the remote source.
 * @typedef {object} StreamContext
 * @property {string} url
 * @property {string} file
 * @property {((loaded: number, total: number) => void) | null} onProgress
 * @property {((first: Uint8Array) => boolean) | undefined} reject sees the first chunk; true stops (an optional file that is an HTML page)
 * @property {(begin: number, end: number, signal: AbortSignal) => Promise<Response>} fetchRange GET with `Range: bytes=begin-(end-1)`
 * @property {AbortSignal} signal the load's signal (aborts everything)
 * @property {(cause: unknown) => BertologyError} networkError the error for a failed read or request (ABORTED once the load was aborted)
 * @property {Promise<unknown>} resume the table is streamed once this settles
 * @property {ProgressiveTuning} [tuning]
 */

/**
 * A file handed out before its table has downloaded: `whole` resolves with all its bytes when the
 * stream completes (rejects when the file fails; handled); `cancel` fails it.
 * @typedef {{entry: FileEntry & {deferred: DeferredTensor}, whole: Promise<Uint8Array>, cancel: (error: BertologyError) => void}} DeferredResult
 * @typedef {{bytes: Uint8Array} | DeferredResult} StreamResult
 */

/**
 * @param {string} message
 * @param {import('../errors.js').BertologyErrorCode} code
 * @param {{url?: string, status?: number, file?: string, cause?: unknown}} extra
 */
export function sourceError(message, code, { cause, ...extra }) {
  return Object.assign(new BertologyError(message, { code, cause }), extra);
}

const now = () => globalThis.performance?.now?.() ?? Date.now();

/**
 * Reads the rest of a body into one Uint8Array (after `prefix`, the chunks already read).
 * @param {ReadableStreamDefaultReader<Uint8Array>} reader
 * @param {Uint8Array[]} prefix
 * @param {number} declared the identity Content-Length, 0 when unknown
 * @param {((loaded: number, total: number) => void) | null} onProgress
 * @param {string} url
 * @returns {Promise<Uint8Array>}
 */
export async function readRest(reader, prefix, declared, onProgress, url) {
  let buffer = declared > 0 ? new Uint8Array(declared) : null;
  /** @type {Uint8Array[]} */
  let chunks = [];
  let loaded = 0;
  const add = (/** @type {Uint8Array} */ value) => {
    if (buffer && loaded + value.byteLength > buffer.byteLength) {
      chunks = [buffer.subarray(0, loaded)]; // more than declared: keep going in chunks
      buffer = null;
    }
    if (buffer) buffer.set(value, loaded);
    else chunks.push(value);
    loaded += value.byteLength;
  };
  for (const c of prefix) add(c);
  if (prefix.length) onProgress?.(loaded, buffer ? declared : 0);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    add(value);
    onProgress?.(loaded, buffer ? declared : 0);
  }
  if (buffer) {
    if (loaded < declared) throw sourceError(`download of ${url} ended after ${loaded} of ${declared} bytes`, 'NETWORK', { url });
    return buffer;
  }
  const all = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  onProgress?.(loaded, loaded);
  return all;
}

/** @param {string | null} etag */
const strongPart = (etag) => (etag ?? '').replace(/^W\//, '');

/**
 * Reads a weights response: the whole file (`{bytes}`), or — when its layout allows — a deferred
 * entry as soon as everything before the word-embedding table is in (`{entry, whole, cancel}`).
 * Resolves null when `reject` turns the first chunk down.
 * @param {Response} res
 * @param {StreamContext} ctx
 * @returns {Promise<StreamResult | null>}
 */
export async function streamWeights(res, ctx) {
  const { url, file, onProgress } = ctx;
  const encoding = (res.headers.get('content-encoding') ?? 'identity').toLowerCase();
  const length = Number(res.headers.get('content-length'));
  const declared = encoding === 'identity' && Number.isSafeInteger(length) && length > 0 ? length : 0;
  const reader = /** @type {ReadableStream<Uint8Array>} */ (res.body).getReader();
  /** @type {Uint8Array[]} */
  const chunks = [];
  let have = 0;
  /** @type {ReturnType<typeof findTable>} */
  let found = { need: 8 };
  for (;;) {
    if ('layout' in found) break;
    const { done, value } = await reader.read();
    if (done) break;
    if (have === 0 && ctx.reject?.(value)) {
      reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
    have += value.byteLength;
    onProgress?.(have, declared);
    if (have >= found.need) found = findTable(chunks, have);
  }
  const layout = 'layout' in found ? found.layout : null;
  // read whole: no table at the end, a compressed body (ranges would not be byte offsets of the file),
  // a length that disagrees with the header, or the file already complete
  if (!layout || encoding !== 'identity' || (declared && declared !== layout.size) || have >= layout.size) {
    return { bytes: await readRest(reader, chunks, declared, onProgress, url) };
  }
  return deferredFile(reader, chunks, layout, res.headers, ctx);
}

/**
 * The body's reader, or what stands for it (deferredShard: a body asked for later).
 * @typedef {{read: () => Promise<ReadableStreamReadResult<Uint8Array>>, cancel: () => Promise<void>}} BodyReader
 */

/**
 * A shard that holds only the word-embedding table, handed out from its first bytes (`prefix`: a Range
 * answer for bytes 0..n that covers its header); the rest of its body is asked for (`openRest(from,
 * signal)`: a GET, with `Range: bytes=from-` when the server honours it) only once `ctx.resume` settles —
 * Chromium keeps receiving a body that is not being read, so the table would share bandwidth with the
 * other shards. Resolves null when the prefix does not show such a layout (the caller reads the file
 * as usual).
 * @param {Uint8Array} prefix
 * @param {Headers} headers the Range answer's
 * @param {(from: number, signal: AbortSignal) => Promise<Response>} openRest
 * @param {StreamContext} ctx
 * @returns {Promise<StreamResult | null>}
 */
export async function deferredShard(prefix, headers, openRest, ctx) {
  const found = findTable([prefix], prefix.byteLength);
  const layout = 'layout' in found ? found.layout : null;
  if (!layout || layout.begin > prefix.byteLength || prefix.byteLength >= layout.size) return null;
  const stop = new AbortController();
  /** @type {Promise<BodyReader> | null} */
  let opened = null;
  const open = async () => {
    const from = prefix.byteLength;
    const res = await openRest(from, AbortSignal.any([ctx.signal, stop.signal]));
    const range = res.status === 206 ? /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? `bytes ${from}-`) : null;
    if ((res.status !== 200 && res.status !== 206) || (range && Number(range[1]) !== from) || !res.body) {
      res.body?.cancel().catch(() => {});
      throw sourceError(`cannot fetch ${ctx.url}: HTTP ${res.status} ${res.statusText}`, res.status === 206 ? 'BAD_RESPONSE' : 'NETWORK',
        { url: ctx.url, status: res.status, file: ctx.file });
    }
    const reader = res.body.getReader();
    let drop = res.status === 200 ? from : 0; // the whole file again: its first bytes are here already
    return {
      read: async () => {
        for (;;) {
          const step = await reader.read();
          if (step.done || drop === 0) return step;
          const value = step.value.subarray(Math.min(drop, step.value.byteLength));
          drop -= step.value.byteLength - value.byteLength;
          if (value.byteLength) return { done: false, value };
        }
      },
      cancel: () => reader.cancel(),
    };
  };
  /** @type {BodyReader} */
  const later = {
    read: async () => (await (opened ??= open())).read(),
    cancel: async () => {
      stop.abort();
      if (opened) await (await opened.catch(() => null))?.cancel().catch(() => {});
    },
  };
  return deferredFile(later, [prefix], layout, headers, ctx);
}

/**
 * @param {BodyReader} reader
 * @param {Uint8Array[]} chunks the bytes read so far
 * @param {import('./table-layout.js').TableLayout} layout
 * @param {Headers} headers the response's
 * @param {StreamContext} ctx
 * @returns {Promise<StreamResult>}
 */
async function deferredFile(reader, chunks, layout, headers, ctx) {
  const { url, file, onProgress, signal } = ctx;
  const { name, begin, end, rowBytes, size } = layout;
  const tuning = ctx.tuning ?? {};
  const buffer = new Uint8Array(size);
  let streamed = 0;
  /** Bytes past `streamed` that range requests brought: sorted, disjoint, not touching. @type {[number, number][]} */
  let filled = [];
  /** @type {BertologyError | null} */
  let failure = null;
  let ended = false;
  let flowing = false;
  /** Recent stream progress, [time, streamed] (the last ~250 ms): its rate. @type {[number, number][]} */
  let samples = [];
  let latencyMs = 20;
  const etag = headers.get('etag');
  // a server that says it has no ranges is not asked (one that ignores them answers 200: see fetchRange)
  let rangeIgnored = /^\s*none\s*$/i.test(headers.get('accept-ranges') ?? '');
  /** @type {Set<{ranges: [number, number][], resolve: () => void, reject: (e: unknown) => void}>} */
  const waiters = new Set();
  /** @type {Set<{a: number, b: number, stop: AbortController}>} */
  const inflight = new Set();
  /** @type {[number, number][]} */
  const queue = [];
  const own = new AbortController(); // this file's downloads (the stream and its range requests)
  const all = AbortSignal.any([signal, own.signal]);

  /** @type {(bytes: Uint8Array) => void} */
  let resolveWhole = () => {};
  /** @type {(e: unknown) => void} */
  let rejectWhole = () => {};
  /** @type {Promise<Uint8Array>} */
  const whole = new Promise((resolve, reject) => { resolveWhole = resolve; rejectWhole = reject; });
  whole.catch(() => {});
  const complete = whole.then(() => {});
  complete.catch(() => {});

  /** @param {number} a @param {number} b */
  const has = (a, b) => {
    if (b <= streamed) return true;
    const from = Math.max(a, streamed);
    for (const [x, y] of filled) {
      if (x > from) return false;
      if (y >= b) return true;
    }
    return false;
  };

  /** @param {BertologyError} error */
  const fail = (error) => {
    if (failure || ended) return;
    failure = error;
    own.abort(error);
    reader.cancel().catch(() => {});
    queue.length = 0;
    rejectWhole(error);
    settle();
  };

  const settle = () => {
    for (const w of waiters) {
      if (w.ranges.every(([a, b]) => has(a, b))) {
        waiters.delete(w);
        w.resolve();
      } else if (failure) {
        waiters.delete(w);
        w.reject(failure);
      }
    }
    // range requests the stream has overtaken are not needed any more
    for (const r of inflight) if (r.b <= streamed) r.stop.abort();
  };

  /** @param {number} a @param {number} b */
  const addFilled = (a, b) => {
    filled.push([a, b]);
    filled.sort((x, y) => x[0] - y[0]);
    /** @type {[number, number][]} */
    const merged = [];
    for (const [x, y] of filled) {
      const top = merged.at(-1);
      if (top && x <= top[1]) top[1] = Math.max(top[1], y);
      else merged.push([x, y]);
    }
    filled = merged;
  };

  /** @param {Uint8Array} value */
  const write = (value) => {
    if (streamed + value.byteLength > size) {
      throw sourceError(`${url}: the body is longer than its safetensors header says (${size} bytes)`, 'BAD_RESPONSE', { url, file });
    }
    buffer.set(value, streamed);
    streamed += value.byteLength;
    if (filled.length && filled[0][1] <= streamed) filled = filled.filter(([, y]) => y > streamed);
    onProgress?.(streamed, size);
  };

  for (const c of chunks) write(c);

  const soonBytes = () => {
    if (!flowing || rangeIgnored) return 0;
    if (tuning.soonBytes !== undefined) return tuning.soonBytes;
    const t = now();
    samples = samples.filter(([at]) => t - at <= 250);
    // a stream that brought nothing lately is not "about to" bring anything
    if (samples.length < 2 || t - /** @type {[number, number]} */ (samples.at(-1))[0] > Math.max(latencyMs, 20)) return 0;
    const [t0, s0] = samples[0];
    const rate = (streamed - s0) / Math.max(t - t0, 1); // bytes per ms
    return Math.min(4 << 20, rate * latencyMs);
  };

  /**
   * What of [a, b) is neither here nor on its way.
   * @param {number} a @param {number} b
   * @returns {[number, number][]}
   */
  const missing = (a, b) => {
    /** @type {[number, number][]} */
    let gaps = [[Math.max(a, streamed), b]];
    const taken = [...filled, ...[...inflight].map((r) => /** @type {[number, number]} */ ([r.a, r.b])), ...queue];
    for (const [x, y] of taken) {
      /** @type {[number, number][]} */
      const next = [];
      for (const [p, q] of gaps) {
        if (y <= p || x >= q) next.push([p, q]);
        else {
          if (x > p) next.push([p, x]);
          if (y < q) next.push([y, q]);
        }
      }
      gaps = next;
    }
    return gaps.filter(([p, q]) => q > p);
  };

  const pump = () => {
    const limit = Math.max(1, tuning.concurrency ?? 4);
    while (!failure && !rangeIgnored && inflight.size < limit && queue.length) {
      const [a, b] = /** @type {[number, number]} */ (queue.shift());
      if (has(a, b)) continue;
      fetchRange(a, b);
    }
  };

  /** @param {number} a @param {number} b */
  const fetchRange = (a, b) => {
    const req = { a, b, stop: new AbortController() };
    inflight.add(req);
    const t0 = now();
    (async () => {
      let res;
      try {
        res = await ctx.fetchRange(a, b, AbortSignal.any([all, req.stop.signal]));
      } catch (cause) {
        if (req.stop.signal.aborted && !all.aborted) return; // overtaken by the stream
        throw failure ?? ctx.networkError(cause);
      }
      latencyMs = Math.min(200, Math.max(1, now() - t0));
      if (res.status === 200) {
        // the server ignores Range: the stream brings everything (and nothing more is asked for)
        res.body?.cancel().catch(() => {});
        rangeIgnored = true;
        queue.length = 0;
        for (const r of inflight) if (r !== req) r.stop.abort();
        return;
      }
      if (res.status !== 206) {
        res.body?.cancel().catch(() => {});
        const code = res.status === 416 ? 'BAD_RESPONSE' : 'NETWORK';
        const why = res.status === 416 ? ' (the file on the server is shorter than its header says: did it change?)' : '';
        throw sourceError(`range request bytes=${a}-${b - 1} of ${url}: HTTP ${res.status} ${res.statusText}${why}`, code,
          { url, status: res.status, file });
      }
      const range = res.headers.get('content-range');
      const m = range ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(range.trim()) : null;
      const changed = etag && res.headers.get('etag') && strongPart(etag) !== strongPart(res.headers.get('etag'));
      if ((range && (!m || Number(m[1]) !== a || Number(m[2]) !== b - 1 || (m[3] !== '*' && Number(m[3]) !== size))) || changed) {
        res.body?.cancel().catch(() => {});
        throw sourceError(`range request bytes=${a}-${b - 1} of ${url}: the server answered ${changed ? `another version of the file (ETag ${res.headers.get('etag')}, was ${etag})` : `Content-Range: ${range}`}`,
          'BAD_RESPONSE', { url, status: res.status, file });
      }
      let data;
      try {
        data = new Uint8Array(await res.arrayBuffer());
      } catch (cause) {
        if (req.stop.signal.aborted && !all.aborted) return;
        throw failure ?? ctx.networkError(cause);
      }
      if (data.byteLength !== b - a) {
        throw sourceError(`range request bytes=${a}-${b - 1} of ${url}: ${data.byteLength} bytes instead of ${b - a}`, 'BAD_RESPONSE',
          { url, status: res.status, file });
      }
      if (failure || ended) return;
      if (b > streamed) {
        buffer.set(data.subarray(Math.max(0, streamed - a)), Math.max(a, streamed));
        addFilled(Math.max(a, streamed), b);
      }
    })().then(() => {
      inflight.delete(req);
      pump();
      settle();
    }, (/** @type {unknown} */ e) => {
      inflight.delete(req);
      fail(e instanceof BertologyError ? e : ctx.networkError(e));
    });
  };

  /**
   * Asks for what of `ranges` is missing: Range requests, except for what the stream is about to bring
   * (`patient`: the default estimate, checked again after two latencies).
   * @param {[number, number][]} ranges
   * @param {boolean} [patient]
   */
  const schedule = (ranges, patient = true) => {
    if (rangeIgnored || failure) return;
    const horizon = streamed + (patient ? soonBytes() : 0);
    /** @type {[number, number][]} */
    const wanted = [];
    let left = false;
    for (const [a, b] of ranges) {
      for (const gap of missing(a, b)) {
        if (gap[1] > horizon) wanted.push(gap);
        else left = true;
      }
    }
    if (left && tuning.soonBytes === undefined) {
      // the stream may slow down or stall: what it has not brought by then is fetched
      const timer = setTimeout(() => {
        if (!ended && !failure && !ranges.every(([a, b]) => has(a, b))) schedule(ranges, false);
      }, 2 * Math.max(latencyMs, 10));
      /** @type {any} */ (timer).unref?.();
    }
    if (!wanted.length) return;
    wanted.sort((x, y) => x[0] - y[0]);
    const gapBytes = tuning.gapBytes ?? 16 << 10;
    /** @type {[number, number][]} */
    const spans = [];
    for (const [a, b] of wanted) {
      const top = spans.at(-1);
      if (top && a - top[1] <= gapBytes) top[1] = Math.max(top[1], b);
      else spans.push([a, b]);
    }
    const maxRequests = Math.max(1, tuning.maxRequests ?? 16);
    while (spans.length > maxRequests) {
      let at = 0;
      for (let i = 1; i < spans.length - 1; i++) if (spans[i + 1][0] - spans[i][1] < spans[at + 1][0] - spans[at][1]) at = i;
      spans.splice(at, 2, [spans[at][0], spans[at + 1][1]]);
    }
    queue.push(...spans);
    pump();
  };

  /** @type {DeferredTensor['ensure']} */
  const ensure = (ranges) => {
    if (!Array.isArray(ranges) || !ranges.every((r) => Array.isArray(r) && Number.isSafeInteger(r[0]) && Number.isSafeInteger(r[1]) &&
        r[0] >= begin && r[0] < r[1] && r[1] <= end)) {
      return Promise.reject(new BertologyError(`ensure(${file}): ranges must be [begin, end) pairs inside [${begin}, ${end})`,
        { code: 'INVALID_ARGUMENT' }));
    }
    /** @type {[number, number][]} */
    const wanted = ranges.map(([a, b]) => [a, b]);
    if (wanted.every(([a, b]) => has(a, b))) return Promise.resolve();
    if (failure) return Promise.reject(failure);
    const done = new Promise((resolve, reject) => {
      waiters.add({ ranges: wanted, resolve: () => resolve(undefined), reject });
    });
    schedule(wanted);
    return /** @type {Promise<void>} */ (done);
  };

  // hand out once every byte before the table is here
  try {
    while (streamed < begin) {
      let step;
      try {
        step = await reader.read();
      } catch (cause) {
        throw ctx.networkError(cause);
      }
      if (step.done) throw sourceError(`download of ${url} ended after ${streamed} of ${size} bytes`, 'NETWORK', { url, file });
      write(step.value);
    }
  } catch (e) {
    fail(e instanceof BertologyError ? e : ctx.networkError(e));
  }
  if (failure) throw failure;
  if (streamed === size) {
    // everything came with the bytes before the table: an ordinary file (after the body's end)
    try {
      for (let step = await reader.read(); !step.done; step = await reader.read()) write(step.value);
    } catch (e) {
      throw e instanceof BertologyError ? e : ctx.networkError(e);
    }
    return { bytes: buffer };
  }

  // the table, in the background once the load's other files are in
  (async () => {
    await ctx.resume.catch(() => {});
    if (failure) return;
    flowing = true;
    for (;;) {
      let step;
      try {
        step = await reader.read();
      } catch (cause) {
        throw failure ?? ctx.networkError(cause);
      }
      if (failure) return;
      if (step.done) break;
      write(step.value);
      samples.push([now(), streamed]);
      if (samples.length > 64) samples = samples.slice(-32);
      settle();
    }
    if (streamed < size) throw sourceError(`download of ${url} ended after ${streamed} of ${size} bytes`, 'NETWORK', { url, file });
    ended = true;
    filled = [];
    for (const r of inflight) r.stop.abort();
    queue.length = 0;
    resolveWhole(buffer);
    settle();
  })().catch((/** @type {unknown} */ e) => fail(e instanceof BertologyError ? e : ctx.networkError(e)));

  /** @type {DeferredTensor} */
  const deferred = { name, begin, end, rowBytes, has, ensure, complete };
  return {
    entry: {
      size,
      read(offset, length, view) {
        if (offset < 0 || offset + length > size || !has(offset, offset + length)) return -1;
        view.set(buffer.subarray(offset, offset + length));
        return length;
      },
      deferred,
    },
    whole,
    cancel: fail,
  };
}
