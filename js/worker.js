// Web Worker entry (`bertology/worker`): hosts models in a worker so inference never blocks the page.
// Drive it with the client in js/worker-client.js:
//
//   import { createWorkerClient } from 'bertology';
//   const client = createWorkerClient(new Worker(import.meta.resolve('bertology/worker'), { type: 'module' }));
//   const classifier = await client.pipeline('sentiment-analysis', 'org/name');
//   await classifier('I loved it');
//
// The same script also runs as a Node `worker_threads` worker. Threads inside the worker follow the
// page: the threaded build when the page is cross-origin isolated, the single-threaded one otherwise.
//
// Protocol (one request, one reply; ids chosen by the client), after the worker's {type: 'ready'}:
//   → {id, op: 'load', source, options}                 ← {id, type: 'progress', event}*, {id, type: 'result', value: ModelMeta}
//   → {id, op: 'pipeline', task, model, options}         ← progress*, {id, type: 'result', value: {handle, task}}
//        (model: a source, or {handle} of a loaded model)
//   → {id, op: 'call', handle, method, args}             ← progress*, {id, type: 'result', value}   (method '()' calls a pipeline;
//        an argument {..., progress_callback: true} asks for the call's progress events)
//   → {id, op: 'trainer', model: {handle}, options}       ← {id, type: 'result', value: {handle, labels, task}}
//        (a Trainer of js/train/ on a loaded model; its fit/evaluate calls stream {id, type: 'progress',
//        event: TrainProgress} and stop when → {id, op: 'cancel', target: <the call's id>} arrives)
//   → {id, op: 'dispose', handle}                        ← {id, type: 'result', value: true}
//   → {id, op: 'runtime', options}                       ← {id, type: 'result', value: RuntimeMeta}
//   failures                                             ← {id, type: 'error', error: {name, message, code, ...}}
// Requests may carry `settings` (the page's env.wasmPaths / env.workerTimeout), applied before the op.
//
// Everything is imported statically: bundlers build workers as one file (Vite's default worker format,
// iife, cannot split code), and no Node built-in is imported (Node's worker_threads comes from
// process.getBuiltinModule).

import { BertologyModel } from './model.js';
import { pipeline } from './pipeline.js';
import { getRuntime, isNode, nodeModule } from './runtime.js';
import { env } from './sources/env.js';
import { ERROR_FIELDS } from './worker-client.js';
import { Trainer } from './train/trainer.js';

/** @type {Map<number, {kind: 'model' | 'pipeline' | 'trainer', value: any}>} */
const handles = new Map();
/** @type {Map<number, AbortController>} running trainer calls and calls given a signal, by request id (op 'cancel') */
const running = new Map();
let nextHandle = 1;

/** @type {(message: any) => void} */
let post;

/**
 * The runtime as the client sees it: final, so once its pool threads are up or fell back (bounded by
 * env.workerTimeout; the page, unlike this entry, may use a runtime before: Runtime.threadsReady).
 * @param {any} runtime
 */
async function runtimeMeta(runtime) {
  await runtime.threadsReady;
  const { build, threads, variant, requestedThreads, fallback, crossOriginIsolated } = runtime;
  return { build, threads, variant, requestedThreads, fallback, crossOriginIsolated };
}

/** @param {BertologyModel} model @param {number} handle */
async function modelMeta(model, handle) {
  return { handle, info: model.info, maxLength: model.maxLength, runtime: await runtimeMeta(model.runtime) };
}

/** @param {any} e */
function serializeError(e) {
  if (!e || typeof e !== 'object') return { name: 'Error', message: String(e) };
  const out = { name: e.name ?? 'Error', message: e.message ?? String(e), stack: e.stack };
  for (const k of ['code', 'operation', ...ERROR_FIELDS]) if (e[k] !== undefined) /** @type {any} */ (out)[k] = cloneable(e[k]);
  return out;
}

/**
 * A structured-clone-safe copy: functions dropped, class instances as plain objects, typed arrays kept.
 * @param {any} v
 * @param {WeakMap<object, any>} [seen]
 * @returns {any}
 */
function cloneable(v, seen = new WeakMap()) {
  if (v === null || typeof v !== 'object') return typeof v === 'function' || typeof v === 'symbol' ? undefined : v;
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date || v instanceof RegExp) return v;
  if (seen.has(v)) return seen.get(v);
  if (Array.isArray(v)) {
    const out = /** @type {any[]} */ ([]);
    seen.set(v, out);
    for (const x of v) out.push(cloneable(x, seen));
    return out;
  }
  if (v instanceof Map) {
    const out = new Map();
    seen.set(v, out);
    for (const [k, x] of v) out.set(k, cloneable(x, seen));
    return out;
  }
  /** @type {Record<string, any>} */
  const out = {};
  seen.set(v, out);
  for (const [k, x] of Object.entries(v)) {
    const c = cloneable(x, seen);
    if (c !== undefined) out[k] = c;
  }
  return out;
}

/** @param {number} id @param {any} value */
function reply(id, value) {
  try {
    post({ id, type: 'result', value });
  } catch {
    post({ id, type: 'result', value: cloneable(value) });
  }
}

/** @param {number} handle */
function lookup(handle) {
  const h = handles.get(handle);
  if (!h) throw Object.assign(new Error(`no model or pipeline with handle ${handle} (disposed?)`), { code: 'DISPOSED' });
  return h;
}

/** @param {any} x */
const resolveModelArg = (x) => (x && typeof x === 'object' && typeof x.handle === 'number' && Object.keys(x).length === 1
  ? lookup(x.handle).value : x);

/** BertologyModel methods that read word-embedding rows synchronously. */
const ROW_METHODS = new Set(['forward', 'forwardEncodings', 'classify']);

/**
 * Progressive loading: a synchronous call on a model whose word-embedding table is still downloading
 * runs; if it needs rows not in yet, the model's NOT_READY error names them (`rows`), so the call waits
 * for those rows (model.ensureWeights, as the pipelines do), not for the whole table, and runs again —
 * the same results, as the engine stays exact on NOT_READY. After a few rounds (rows filled by then
 * unless the download failed) it waits for the whole table instead.
 * @param {BertologyModel} model @param {string} method @param {any[]} args
 */
async function callWithRows(model, method, args) {
  const member = /** @type {any} */ (model)[method];
  for (let attempt = 0; ; attempt++) {
    try {
      return member.apply(model, args);
    } catch (e) {
      const err = /** @type {any} */ (e);
      if (err?.code !== 'NOT_READY' || model.weightsPending === 0) throw e;
      if (Array.isArray(err.rows) && err.rows.length > 0 && attempt < 3) await model.ensureWeights(err.rows);
      else await model.weightsComplete;
    }
  }
}

/**
 * A pipeline's or model's method (or the pipeline itself, '()') on `args`.
 * @param {any} target @param {string} method @param {any[]} args @param {number} id
 */
async function callMember(target, method, args, id) {
  if (method === '()') {
    const fn = typeof target === 'function' ? target : target?.run ?? target?.call;
    if (typeof fn !== 'function') throw Object.assign(new Error('this object cannot be called'), { code: 'WORKER' });
    return reply(id, await fn.apply(target, args));
  }
  const member = target[method];
  // Progressive loading: the model's synchronous calls on texts or ids wait for their rows here.
  if (target instanceof BertologyModel && ROW_METHODS.has(method) && target.weightsPending > 0) {
    return reply(id, await callWithRows(target, method, args));
  }
  if (typeof member === 'function') return reply(id, await member.apply(target, args));
  if (member && typeof member.then === 'function') return reply(id, await member);  // e.g. weightsComplete
  if (member === undefined) throw Object.assign(new Error(`no method ${method}`), { code: 'INVALID_ARGUMENT' });
  return reply(id, member);
}

/** @param {any} msg */
async function handle(msg) {
  const { id, op } = msg;
  applySettings(msg.settings);
  const progress = (/** @type {any} */ event) => post({ id, type: 'progress', event: cloneable(event) });
  switch (op) {
    case 'load': {
      const model = await BertologyModel.load(msg.source, { ...msg.options, progress_callback: progress });
      const h = nextHandle++;
      handles.set(h, { kind: 'model', value: model });
      return reply(id, await modelMeta(model, h));
    }
    case 'pipeline': {
      const p = await pipeline(msg.task, resolveModelArg(msg.model), { ...msg.options, progress_callback: progress });
      const h = nextHandle++;
      handles.set(h, { kind: 'pipeline', value: p });
      const model = p?.model instanceof BertologyModel ? p.model : null;
      return reply(id, { handle: h, task: msg.task, model: model ? { info: model.info, runtime: await runtimeMeta(model.runtime) } : null });
    }
    case 'call': {
      const target = lookup(msg.handle).value;
      // progress_callback: true in a call's options: this call's progress events go to the client
      // signal: true (the client kept the AbortSignal): this call's AbortController, fired by op 'cancel'
      /** @type {AbortController | null} */
      let controller = null;
      const args = (msg.args ?? []).map(resolveModelArg).map((/** @type {any} */ a) => {
        if (!a || typeof a !== 'object') return a;
        if (a.progress_callback === true) a = { ...a, progress_callback: progress };
        if (a.signal === true) {
          controller ??= new AbortController();
          running.set(id, controller);
          a = { ...a, signal: controller.signal };
        }
        return a;
      });
      const member = target[msg.method];
      if (target instanceof Trainer && (msg.method === 'fit' || msg.method === 'evaluate')) {
        const trainerController = new AbortController();
        running.set(id, trainerController);
        try {
          return reply(id, await member.call(target, args[0], { onProgress: progress, signal: trainerController.signal }));
        } finally {
          running.delete(id);
        }
      }
      try {
        return await callMember(target, msg.method, args, id);
      } finally {
        if (controller) running.delete(id);
      }
    }
    case 'trainer': {
      const model = resolveModelArg(msg.model);
      if (!(model instanceof BertologyModel)) throw Object.assign(new Error('trainer: model must be a model loaded in this worker'), { code: 'INVALID_ARGUMENT' });
      const trainer = await Trainer.create(model, msg.options);
      const h = nextHandle++;
      handles.set(h, { kind: 'trainer', value: trainer });
      return reply(id, { handle: h, labels: trainer.labels, task: trainer.task });
    }
    case 'cancel':
      running.get(msg.target)?.abort();
      return reply(id, running.has(msg.target));
    case 'dispose': {
      const h = handles.get(msg.handle);
      handles.delete(msg.handle);
      await h?.value?.dispose?.();
      return reply(id, Boolean(h));
    }
    case 'runtime':
      return reply(id, await runtimeMeta(await getRuntime(msg.options ?? {})));
    default:
      throw Object.assign(new Error(`unknown op ${op}`), { code: 'WORKER' });
  }
}

/**
 * The page's runtime settings (env.wasmPaths, env.workerTimeout, env.yieldInterval), forwarded by the client.
 * @param {any} settings
 */
function applySettings(settings) {
  if (!settings || typeof settings !== 'object') return;
  if (typeof settings.wasmPaths === 'string') env.wasmPaths = settings.wasmPaths;
  if (typeof settings.workerTimeout === 'number') env.workerTimeout = settings.workerTimeout;
  if (typeof settings.yieldInterval === 'number') env.yieldInterval = settings.yieldInterval;
}

/** @param {any} msg */
async function onMessage(msg) {
  if (!msg || typeof msg !== 'object' || typeof msg.id !== 'number') return;
  try {
    await handle(msg);
  } catch (e) {
    post({ id: msg.id, type: 'error', error: serializeError(e) });
  }
}

const scope = /** @type {any} */ (globalThis);
if (typeof scope.WorkerGlobalScope !== 'undefined' && scope instanceof scope.WorkerGlobalScope) {
  post = (m) => scope.postMessage(m);
  scope.addEventListener('message', (/** @type {MessageEvent} */ e) => onMessage(e.data));
} else {
  const parentPort = isNode() ? nodeModule('worker_threads').parentPort : null;
  if (!parentPort) throw new Error('bertology/worker must run in a Web Worker or a Node worker thread');
  post = (m) => parentPort.postMessage(m);
  parentPort.on('message', onMessage);
}
// The client waits for this before it trusts the worker to answer (createWorkerClient's timeout).
post({ type: 'ready' });
