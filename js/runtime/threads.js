// Starting a threaded build's pool workers. Browsers: they must start within `env.workerTimeout` ms
// after the wasm is compiled; a worker that fails to load (404, HTML, syntax error, CSP) or stays
// silent rejects with a WorkerStartError, and the runtime falls back to the single-threaded build
// (`runtime.fallback` names the file and the fix) — never a hang.
//
// Node: emscripten 3.1.6 creates the pool workers with `worker_threads` and never unrefs them, so an
// idle pool would keep the process alive forever. We unref every pool worker, including ones the
// pool adds later, so a CLI or script ends when its own work is done; `shutdown()` terminates them.

import { BertologyError } from '../errors.js';
import { env } from '../sources/env.js';
import { locations, RELOCATE_HINT } from './wasm.js';

/** @typedef {import('./builds.js').Build} Build */
/** @typedef {import('./builds.js').ModuleFactory} ModuleFactory */
/** @typedef {import('./wasm.js').CompiledWasm} CompiledWasm */
/** @typedef {import('../runtime.js').EngineModule} EngineModule */

/** A thread worker could not start (the threaded runtime falls back to the single-threaded one). */
export class WorkerStartError extends Error {}

/** The default bound on pool workers' start, in ms (env.workerTimeout). */
export const DEFAULT_WORKER_TIMEOUT = 10_000;

/** @returns {number} */
export function workerTimeout() {
  const ms = env.workerTimeout;
  return typeof ms === 'number' && ms > 0 ? ms : DEFAULT_WORKER_TIMEOUT;
}

/**
 * Describes a worker `error` event.
 * @param {any} event
 */
function workerErrorText(event) {
  const message = event?.message || event?.error?.message;
  if (message) return `it threw while starting: ${message}${event.filename ? ` (${event.filename}:${event.lineno})` : ''}`;
  return 'it failed to load (a 404, an HTML page instead of JavaScript, a wrong MIME type, or a Content-Security-Policy worker-src that blocks it)';
}

/**
 * A module worker running `url`. Browsers only start same-origin worker scripts, so a script on another
 * origin (env.wasmPaths on a CDN, which must then send CORS headers) is imported by a small same-origin
 * blob: module (allowed by CSP only with worker-src blob:).
 * @param {URL} url
 */
function moduleWorker(url) {
  const origin = /** @type {any} */ (globalThis).location?.origin;
  if (!origin || url.origin === origin) return new Worker(url, { type: 'module' });
  const bootstrap = new Blob([`import ${JSON.stringify(url.href)};`], { type: 'text/javascript' });
  return new Worker(URL.createObjectURL(bootstrap), { type: 'module' });
}

/**
 * Creates a threaded runtime in a browser: tries the pthread worker at each location; each try must
 * bring every pool worker up within the bound.
 * @param {Build} build
 * @param {ModuleFactory} factory
 * @param {Record<string, unknown>} settings
 * @param {CompiledWasm} compiled
 * @returns {Promise<EngineModule>}
 */
export async function startThreads(build, factory, settings, compiled) {
  const worker = /** @type {NonNullable<Build['worker']>} */ (build.worker);
  /** One bound for every try, counted from the first instantiation. */
  const budget = { ms: workerTimeout(), deadline: /** @type {number | null} */ (null) };
  /** @type {string[]} */
  const tried = [];
  for (const place of locations(worker.name, worker.bundled, null)) {
    const create = place.url ? () => moduleWorker(/** @type {URL} */ (place.url)) : /** @type {() => Worker} */ (place.bundled);
    try {
      return await startPool(factory, settings, compiled, create, budget);
    } catch (e) {
      if (e instanceof BertologyError) throw e;
      if (!(e instanceof WorkerStartError)) {
        throw new BertologyError(`cannot start ${build.glue}: ${/** @type {Error} */ (e)?.message ?? e}`, { code: 'RUNTIME', cause: e });
      }
      tried.push(`${place.label}: ${e.message}`);
    }
  }
  throw new WorkerStartError(`the pthread worker script ${worker.name} could not start — ${tried.join('; ')}. To get threads: ${RELOCATE_HINT}`);
}

/**
 * One try: runs the factory with pool workers made by `create`; rejects with a WorkerStartError when a
 * worker fails or the pool is not up within the budget (counted once the wasm is instantiated), with a
 * BertologyError (RUNTIME) when the wasm cannot be fetched or instantiated.
 * @param {ModuleFactory} factory
 * @param {Record<string, unknown>} settings
 * @param {CompiledWasm} compiled
 * @param {() => Worker} create
 * @param {{ms: number, deadline: number | null}} budget
 * @returns {Promise<EngineModule>}
 */
function startPool(factory, settings, compiled, create, budget) {
  return new Promise((resolve, reject) => {
    /** @type {Worker[]} */
    const workers = [];
    let settled = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    const stop = () => {
      settled = true;
      clearTimeout(timer);
    };
    /** @param {Error} error */
    const fail = (error) => {
      if (settled) return;
      stop();
      for (const w of workers) {
        try { w.terminate(); } catch { /* gone */ }
      }
      reject(error);
    };
    const options = {
      ...settings,
      instantiateWasm(/** @type {WebAssembly.Imports} */ imports, /** @type {(i: WebAssembly.Instance, m: WebAssembly.Module) => void} */ receive) {
        compiled.then(async ({ module, url }) => {
          let instance;
          try {
            instance = await WebAssembly.instantiate(module, imports);
          } catch (e) {
            throw new BertologyError(`cannot instantiate ${url}: ${/** @type {Error} */ (e)?.message ?? e}`, { code: 'RUNTIME', cause: e });
          }
          if (settled) return;
          // the bound starts now: the pool workers get the module as soon as the instance exists
          budget.deadline ??= Date.now() + budget.ms;
          const ms = Math.max(1, budget.deadline - Date.now());
          timer = setTimeout(() => fail(new WorkerStartError(`no answer from the pool workers within ${budget.ms} ms ` +
            '(env.workerTimeout)')), ms);
          receive(instance, module);
        }).catch(fail);
        return {};
      },
      createPthreadWorker() {
        const w = create();
        workers.push(w);
        w.addEventListener('error', (event) => {
          if (settled) return; // after start-up: emscripten's own handler
          event.preventDefault();
          event.stopImmediatePropagation();
          fail(new WorkerStartError(workerErrorText(event)));
        });
        return w;
      },
    };
    let created;
    try {
      created = factory(options);
    } catch (e) {
      fail(new WorkerStartError(`creating it failed: ${/** @type {Error} */ (e)?.message ?? e}`));
      return;
    }
    created.then((module) => {
      if (settled) {
        module.PThread?.terminateAllThreads();
        return;
      }
      stop();
      resolve(module);
    }, (e) => fail(new WorkerStartError(`the runtime did not start: ${e?.message ?? e}`)));
  });
}

/**
 * Makes every current and future pool worker of `module` not keep Node's event loop alive.
 * @param {EngineModule} module
 */
export function unrefWorkers(module) {
  const pthread = module.PThread;
  if (!pthread) return;
  const unrefAll = () => {
    for (const w of [...pthread.unusedWorkers, ...pthread.runningWorkers]) w?.unref?.();
  };
  unrefAll();
  const allocate = pthread.allocateUnusedWorker;
  if (typeof allocate === 'function') {
    pthread.allocateUnusedWorker = function allocateUnrefed() {
      allocate.call(pthread);
      unrefAll();
    };
  }
}
