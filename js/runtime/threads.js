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
import { mark } from './host.js';

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
 * What starting a threaded build gives: the module, usable as soon as its wasm is instantiated, and
 * the outcome of its pool workers' start (null: all up; else why they could not start).
 * @typedef {{module: EngineModule, pool: Promise<string | null>}} StartedThreads
 */

/**
 * Creates a threaded runtime in a browser: tries the pthread worker at each location. A try whose
 * worker fails before the module is instantiated moves on to the next location (and after the last,
 * rejects with a WorkerStartError: the single-threaded build takes over). Once instantiated, the
 * module is handed out at once — the engine runs on the calling thread alone until the pool workers
 * are up (a pthread whose worker is still booting claims no work: src/core/thread_pool.cc) — and
 * `pool` tells, within the bound, whether they came up.
 * @param {Build} build
 * @param {ModuleFactory} factory
 * @param {Record<string, unknown>} settings
 * @param {CompiledWasm} compiled
 * @returns {Promise<StartedThreads>}
 */
export async function startThreads(build, factory, settings, compiled) {
  const worker = /** @type {NonNullable<Build['worker']>} */ (build.worker);
  /** One bound for every try, counted from the first instantiation. */
  const budget = { ms: workerTimeout(), deadline: /** @type {number | null} */ (null) };
  /** @type {string[]} */
  const tried = [];
  const why = () => `the pthread worker script ${worker.name} could not start — ${tried.join('; ')}. To get threads: ${RELOCATE_HINT}`;
  for (const place of locations(worker.name, worker.bundled, null)) {
    const create = place.url ? () => moduleWorker(/** @type {URL} */ (place.url)) : /** @type {() => Worker} */ (place.bundled);
    try {
      const { module, pool } = await startPool(factory, settings, compiled, create, budget);
      return {
        module,
        pool: pool.then((failure) => {
          if (!failure) return null;
          tried.push(`${place.label}: ${failure}`);
          return why();
        }),
      };
    } catch (e) {
      if (e instanceof BertologyError) throw e;
      if (!(e instanceof WorkerStartError)) {
        throw new BertologyError(`cannot start ${build.glue}: ${/** @type {Error} */ (e)?.message ?? e}`, { code: 'RUNTIME', cause: e });
      }
      tried.push(`${place.label}: ${e.message}`);
    }
  }
  throw new WorkerStartError(why());
}

/**
 * One try: runs the factory with pool workers made by `create`. Rejects with a WorkerStartError when
 * a worker fails before the wasm is instantiated, with a BertologyError (RUNTIME) when the wasm cannot
 * be fetched or instantiated. Resolves once the module is instantiated, without waiting for the pool
 * workers (emscripten 3.1.6 waits for all of them to load the module — ~80 ms of worker start-up on
 * the page's critical path); `pool` settles when every worker is up (null) or one failed or stayed
 * silent past the budget (counted from instantiation): the reason, the workers then terminated.
 * @param {ModuleFactory} factory
 * @param {Record<string, unknown>} settings
 * @param {CompiledWasm} compiled
 * @param {() => Worker} create
 * @param {{ms: number, deadline: number | null}} budget
 * @returns {Promise<StartedThreads>}
 */
function startPool(factory, settings, compiled, create, budget) {
  return new Promise((resolve, reject) => {
    /** @type {Worker[]} */
    const workers = [];
    let handedOut = false; // the module was resolved
    let settled = false; // the pool's outcome is decided (or the try failed)
    let failedEarly = false; // the try failed before the module was handed out
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    /** @type {(failure: string | null) => void} */
    let settlePool = () => {};
    /** @type {Promise<string | null>} */
    const pool = new Promise((done) => { settlePool = done; });
    /** @param {Error} error */
    const fail = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const w of workers) {
        try { w.terminate(); } catch { /* gone */ }
      }
      if (handedOut) settlePool(error.message);
      else {
        failedEarly = true;
        reject(error);
      }
    };
    const up = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      mark('threads-ready');
      settlePool(null);
    };
    /** @type {Record<string, any>} emscripten's Module object is this very object (MODULARIZE) */
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
          const pthread = options.PThread;
          const load = pthread?.loadWasmModuleToWorker;
          if (typeof load !== 'function' || !Array.isArray(pthread.unusedWorkers) || pthread.unusedWorkers.length === 0) {
            receive(instance, module); // not the glue we know: wait for the workers as emscripten does
            return;
          }
          // emscripten counts a worker as loaded when it answers; tell it so at once, and count the
          // real answers here
          let loading = pthread.unusedWorkers.length;
          pthread.loadWasmModuleToWorker = (/** @type {any} */ w, /** @type {(w: any) => void} */ loaded) => {
            load.call(pthread, w, () => { if (--loading === 0) up(); });
            loaded?.(w);
          };
          try {
            receive(instance, module);
          } finally {
            pthread.loadWasmModuleToWorker = load;
          }
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
      if (failedEarly) {
        module.PThread?.terminateAllThreads();
        return;
      }
      handedOut = true;
      resolve({ module, pool });
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
