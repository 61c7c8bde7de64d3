// Main-thread client of the worker entry (js/worker.js). Has no engine code of its own, so a page
// can import it without the wasm (`bertology/worker-client`, also re-exported by `bertology`).
//
//   // src/worker.js of your app: import 'bertology/worker';
//   const client = createWorkerClient(new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }));
//   const model = await client.load('org/name', { progress_callback: console.log });
//   await model.classify('I loved it');          // every call returns a promise
//   const fill = await client.pipeline('fill-mask', model);
//   await fill('Paris is the [MASK] of France.');
//   await fill.dispose(); await model.dispose(); client.terminate();

import { BertologyError } from './errors.js';
import { env } from './sources/env.js';

/**
 * @typedef {object} RuntimeMeta
 * @property {string} build which wasm build ('threads', 'single', …)
 * @property {number} threads
 * @property {'threads' | 'single'} variant
 * @property {number} requestedThreads
 * @property {string | null} fallback
 * @property {boolean} crossOriginIsolated
 */

/**
 * The BertologyModel methods forwarded by name (any other: `model.invoke(name, ...args)`); tasks such as
 * fill-mask or question answering are pipelines (`client.pipeline(task, model)`), not model methods.
 */
const MODEL_METHODS = ['classify', 'forward', 'forwardEncodings', 'tokenize', 'tokenizeWindows', 'decode',
  'idToToken', 'tokenToId', 'ensureWeights'];

/**
 * @param {any} e serialized error
 */
/** The structured fields of an error that cross the worker boundary (js/worker.js sends the same). */
export const ERROR_FIELDS = ['url', 'status', 'file', 'field', 'tensor', 'limit', 'value', 'max', 'index', 'details'];

/**
 * @param {any} e
 */
function reviveError(e) {
  const err = new BertologyError(e?.message ?? String(e), { code: e?.code ?? 'WORKER', operation: e?.operation });
  for (const k of ERROR_FIELDS) if (e?.[k] !== undefined) /** @type {any} */ (err)[k] = e[k];
  if (e?.name === 'AbortError') err.name = 'AbortError';
  if (e?.stack) /** @type {any} */ (err).workerStack = e.stack;
  return err;
}

/**
 * Makes a model source cloneable: URL objects become strings, relative URLs absolute.
 * @param {any} source
 */
function cloneableSource(source) {
  if (source instanceof URL) return source.href;
  // a relative URL means the page's, not the worker script's (browsers; Node has no location)
  const here = /** @type {any} */ (globalThis).location?.href;
  if (typeof source === 'string' && here && /^\.{0,2}\//.test(source)) return new URL(source, here).href;
  return source;
}

/**
 * @param {any} options
 * @returns {[any, ((event: any) => void) | undefined]}
 */
function splitProgress(options) {
  const { progress_callback, ...rest } = options ?? {};
  return [rest, typeof progress_callback === 'function' ? progress_callback : undefined];
}

/**
 * A model living in the worker; methods return promises.
 */
export class RemoteModel {
  /** @type {(op: string, payload: any) => Promise<any>} */ #request;

  /**
   * @param {(op: string, payload: any) => Promise<any>} request
   * @param {{handle: number, info: any, maxLength: number, runtime: RuntimeMeta}} meta
   */
  constructor(request, meta) {
    this.#request = request;
    this.handle = meta.handle;
    /** The engine's view of the model (as `BertologyModel.info`). */
    this.info = meta.info;
    this.maxLength = meta.maxLength;
    /** Which wasm build and how many threads the worker uses for it. */
    this.runtime = meta.runtime;
    for (const name of MODEL_METHODS) {
      Object.defineProperty(this, name, { value: (/** @type {any[]} */ ...args) => this.invoke(name, ...args), enumerable: false });
    }
  }

  /**
   * Progressive loading: resolves once the worker's model has its whole word-embedding table (at once for
   * a model loaded whole); rejects with the source's error if the rest could not be downloaded.
   * @returns {Promise<void>}
   */
  get weightsComplete() { return this.invoke('weightsComplete'); }

  /**
   * Calls any method of the worker's BertologyModel by name.
   * @param {string} method
   * @param {...any} args
   */
  invoke(method, ...args) {
    return this.#request('call', { handle: this.handle, method, args });
  }

  /** Frees the model in the worker. */
  dispose() {
    return this.#request('dispose', { handle: this.handle });
  }
}

/**
 * A Trainer living in the worker; methods return promises.
 */
export class RemoteTrainer {
  /** @type {(op: string, payload: any, onProgress?: (e: any) => void, onId?: (id: number) => void) => Promise<any>} */ #request;

  /**
   * @param {(op: string, payload: any, onProgress?: (e: any) => void, onId?: (id: number) => void) => Promise<any>} request
   * @param {{handle: number, labels: string[], task: string}} meta
   */
  constructor(request, meta) {
    this.#request = request;
    this.handle = meta.handle;
    this.labels = meta.labels;
    this.task = meta.task;
  }

  /**
   * @param {string} method
   * @param {any[]} examples
   * @param {{signal?: AbortSignal, onProgress?: (p: any) => void}} [options]
   */
  async #run(method, examples, { signal, onProgress } = {}) {
    signal?.throwIfAborted?.();
    /** @type {number | null} */
    let callId = null;
    const onAbort = () => { if (callId !== null) this.#request('cancel', { target: callId }).catch(() => {}); };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.#request('call', { handle: this.handle, method, args: [examples] }, onProgress, (id) => { callId = id; });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** @param {any[]} examples @param {{signal?: AbortSignal, onProgress?: (p: any) => void}} [options] */
  fit(examples, options) { return this.#run('fit', examples, options); }

  /** @param {any[]} examples @param {{signal?: AbortSignal, onProgress?: (p: any) => void}} [options] */
  evaluate(examples, options) { return this.#run('evaluate', examples, options); }

  /** @param {string | string[]} texts */
  predict(texts) { return this.#request('call', { handle: this.handle, method: 'predict', args: [texts] }); }

  /** The Hugging Face folder as {file name: bytes}. @returns {Promise<Record<string, Uint8Array>>} */
  save() { return this.#request('call', { handle: this.handle, method: 'save', args: [] }); }

  /** @returns {Promise<Uint8Array>} */
  checkpoint() { return this.#request('call', { handle: this.handle, method: 'checkpoint', args: [] }); }

  /** @param {any} [options] */
  reset(options) { return this.#request('call', { handle: this.handle, method: 'reset', args: [options] }); }

  /** Frees the trainer in the worker (the model stays). */
  dispose() { return this.#request('dispose', { handle: this.handle }); }
}

/**
 * @typedef {((...args: any[]) => Promise<any>) & {handle: number, task: string, model: any,
 *   invoke: (method: string, ...args: any[]) => Promise<any>, dispose: () => Promise<boolean>}} RemotePipeline
 */

/** What to check when the worker script does not start. */
const START_HINT = 'check that the Worker runs a module that imports bertology/worker (created with {type: \'module\'}), ' +
  'that its URL answers with JavaScript (not a 404 or an HTML page) and, on a cross-origin-isolated page, that it is same-origin';

/**
 * The page's runtime settings the worker should use too (only those set: a worker may set its own).
 * @returns {{wasmPaths?: string, workerTimeout?: number}}
 */
function runtimeSettings() {
  /** @type {{wasmPaths?: string, workerTimeout?: number, yieldInterval?: number}} */
  const settings = {};
  if (env.wasmPaths) {
    const here = /** @type {any} */ (globalThis).location?.href;
    settings.wasmPaths = here ? new URL(String(env.wasmPaths), here).href : String(env.wasmPaths);
  }
  if (env.workerTimeout !== 10_000) settings.workerTimeout = env.workerTimeout;
  settings.yieldInterval = env.yieldInterval;
  return settings;
}

/**
 * Wraps a Web Worker (or a Node `worker_threads` Worker) running `bertology/worker`. The worker must
 * announce itself within `timeout` ms (default env.workerTimeout); otherwise, or when it fails to load
 * or crashes, every request rejects with a BertologyError of code WORKER.
 * @param {Worker | import('node:worker_threads').Worker | any} worker
 * @param {{timeout?: number}} [options]
 */
export function createWorkerClient(worker, { timeout = env.workerTimeout } = {}) {
  let nextId = 1;
  /** @type {Map<number, {resolve: (v: any) => void, reject: (e: any) => void, onProgress?: (e: any) => void}>} */
  const pending = new Map();
  let dead = /** @type {BertologyError | null} */ (null);
  let ready = false;
  /** @type {any} */
  let startTimer = setTimeout(() => {
    if (!ready) fail(new Error(`no answer within ${timeout} ms (createWorkerClient's timeout, env.workerTimeout): ${START_HINT}`));
  }, timeout);
  startTimer?.unref?.(); // Node: a client never keeps the process alive by itself

  /** @param {any} msg */
  const onMessage = (msg) => {
    if (msg?.type === 'ready') {
      ready = true;
      clearTimeout(startTimer);
      return;
    }
    const p = pending.get(msg?.id);
    if (!p) return;
    if (msg.type === 'progress') {
      try {
        p.onProgress?.(msg.event);
      } catch (e) {
        queueMicrotask(() => { throw e; });
      }
      return;
    }
    pending.delete(msg.id);
    if (msg.type === 'result') p.resolve(msg.value);
    else p.reject(reviveError(msg.error));
  };
  /** @param {any} cause */
  function fail(cause) {
    clearTimeout(startTimer);
    if (dead) return;
    const message = cause?.message ?? String(cause);
    dead = new BertologyError(ready ? `worker error: ${message}` : `worker error: bertology/worker did not start: ${message}`,
      { code: 'WORKER', cause });
    for (const p of pending.values()) p.reject(dead);
    pending.clear();
  }

  if (typeof worker.on === 'function' && typeof worker.addEventListener !== 'function') {
    worker.on('message', onMessage);
    worker.on('error', fail);
    worker.on('exit', (/** @type {number} */ code) => fail(new Error(`worker exited (code ${code})`)));
  } else {
    worker.addEventListener('message', (/** @type {MessageEvent} */ e) => onMessage(e.data));
    worker.addEventListener('error', (/** @type {ErrorEvent} */ e) => {
      e.preventDefault?.();
      const thrown = e.error?.message ?? e.message;
      fail(new Error(thrown ? `${thrown}${e.filename ? ` (${e.filename}:${e.lineno})` : ''}`
        : `the script failed to load or crashed: ${START_HINT}`));
    });
    worker.addEventListener('messageerror', () => fail(new Error('a message could not be deserialized')));
  }

  /**
   * @param {string} op
   * @param {any} payload
   * @param {(e: any) => void} [onProgress]
   * @param {(id: number) => void} [onId] told the request's id (to cancel it)
   * @returns {Promise<any>}
   */
  const request = (op, payload, onProgress, onId) => new Promise((resolve, reject) => {
    if (dead) return reject(dead);
    const id = nextId++;
    onId?.(id);
    pending.set(id, { resolve, reject, onProgress });
    try {
      worker.postMessage({ id, op, settings: runtimeSettings(), ...payload });
    } catch (cause) {
      pending.delete(id);
      reject(new BertologyError(`cannot send ${op} to the worker: ${/** @type {Error} */ (cause)?.message ?? cause}`,
        { code: 'INVALID_ARGUMENT', cause }));
    }
  });
  const send = (/** @type {string} */ op, /** @type {any} */ payload) => request(op, payload);

  /** @param {any} m */
  const modelArg = (m) => (m instanceof RemoteModel ? { handle: m.handle } : cloneableSource(m));

  return {
    /**
     * Loads a model in the worker (same sources and options as BertologyModel.load; progress events
     * are forwarded to `options.progress_callback`).
     * @param {any} source
     * @param {any} [options]
     * @returns {Promise<RemoteModel>}
     */
    async load(source, options) {
      const [rest, onProgress] = splitProgress(options);
      const meta = await request('load', { source: cloneableSource(source), options: rest }, onProgress);
      return new RemoteModel(send, meta);
    },

    /**
     * Creates a pipeline in the worker (`pipeline(task, model, options)` of js/pipeline.js); returns a
     * function whose calls are forwarded.
     * @param {string} task
     * @param {any} model a source (id, URL, path, bytes) or a RemoteModel
     * @param {any} [options]
     * @returns {Promise<RemotePipeline>}
     */
    async pipeline(task, model, options) {
      const [rest, onProgress] = splitProgress(options);
      const meta = await request('pipeline', { task, model: modelArg(model), options: rest }, onProgress);
      // A call's progress_callback (a function: not cloneable) stays here; the worker gets `true` and
      // posts the call's progress events back ({id, type: 'progress'}). Likewise a `signal` (e.g.
      // pipe.invoke('explain', text, {signal})): the worker gets `true`, and an abort sends 'cancel'.
      const call = async (/** @type {string} */ method, /** @type {any[]} */ args) => {
        /** @type {((e: any) => void) | undefined} */
        let onProgress;
        /** @type {AbortSignal | undefined} */
        let signal;
        const mapped = args.map((a) => {
          if (!a || typeof a !== 'object' || Array.isArray(a) || a instanceof RemoteModel) return modelArg(a);
          if (typeof a.progress_callback === 'function') {
            onProgress = a.progress_callback;
            a = { ...a, progress_callback: true };
          }
          if (a.signal && typeof a.signal === 'object' && typeof a.signal.aborted === 'boolean') {
            signal = a.signal;
            a = { ...a, signal: true };
          }
          return modelArg(a);
        });
        if (!signal) return request('call', { handle: meta.handle, method, args: mapped }, onProgress);
        if (signal.aborted) {
          throw Object.assign(new BertologyError(`${method}: cancelled (signal aborted)`, { code: 'ABORTED', cause: signal.reason }),
            { name: 'AbortError' });
        }
        /** @type {number | null} */
        let callId = null;
        const onAbort = () => { if (callId !== null) request('cancel', { target: callId }).catch(() => {}); };
        signal.addEventListener('abort', onAbort, { once: true });
        try {
          return await request('call', { handle: meta.handle, method, args: mapped }, onProgress, (id) => { callId = id; });
        } finally {
          signal.removeEventListener('abort', onAbort);
        }
      };
      const fn = /** @type {RemotePipeline} */ (/** @type {any} */ ((/** @type {any[]} */ ...args) => call('()', args)));
      Object.assign(fn, {
        handle: meta.handle, task: meta.task, model: meta.model,
        invoke: (/** @type {string} */ method, /** @type {any[]} */ ...args) => call(method, args),
        dispose: () => send('dispose', { handle: meta.handle }),
      });
      return fn;
    },

    /**
     * A Trainer (js/train/) in the worker on a model loaded there: fit/evaluate take {signal, onProgress}
     * (progress events are forwarded, an aborted signal cancels the run in the worker), save() resolves
     * with the Hugging Face folder's files as bytes.
     * @param {RemoteModel} model
     * @param {any} options Trainer.create's options
     * @returns {Promise<RemoteTrainer>}
     */
    async trainer(model, options) {
      if (!(model instanceof RemoteModel)) throw new BertologyError('trainer: model must be a RemoteModel from client.load()', { code: 'INVALID_ARGUMENT' });
      const meta = await request('trainer', { model: { handle: model.handle }, options });
      return new RemoteTrainer(request, meta);
    },
    /**
     * The runtime the worker would use for `options` ({threads}).
     * @param {{threads?: number}} [options]
     * @returns {Promise<RuntimeMeta>}
     */
    runtime(options) {
      return send('runtime', { options });
    },

    /** Stops the worker (and every model in it). */
    terminate() {
      fail(new Error('terminated'));
      return worker.terminate();
    },
  };
}
