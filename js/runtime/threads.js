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
export class WorkerStartError extends Error {
  /** true when every location of the worker script was tried */
  exhausted = false;
}

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

/** @typedef {{label: string, create: () => Worker}} WorkerPlace */

/**
 * Creates a threaded runtime in a browser. The pool workers are tried at each location of the worker
 * script in turn (a worker that fails moves the pool to the next location; see startPool). The module
 * is handed out as soon as its wasm is instantiated; `pool` tells, within the bound, whether the
 * workers came up. A failure of every location before instantiation rejects with a WorkerStartError
 * (the single-threaded build then takes over).
 * @param {Build} build
 * @param {ModuleFactory} factory
 * @param {Record<string, unknown>} settings
 * @param {CompiledWasm} compiled
 * @returns {Promise<StartedThreads>}
 */
export async function startThreads(build, factory, settings, compiled) {
  const worker = /** @type {NonNullable<Build['worker']>} */ (build.worker);
  /** One bound for every location, counted from the instantiation. */
  const budget = { ms: workerTimeout(), deadline: /** @type {number | null} */ (null) };
  /** @type {string[]} */
  const tried = [];
  const why = () => `the pthread worker script ${worker.name} could not start — ${tried.join('; ')}. To get threads: ${RELOCATE_HINT}`;
  /** @type {WorkerPlace[]} */
  const places = locations(worker.name, worker.bundled, null).map((place) => ({
    label: place.label,
    create: place.url ? () => moduleWorker(/** @type {URL} */ (place.url)) : /** @type {() => Worker} */ (place.bundled),
  }));
  for (let i = 0; i < places.length; i++) {
    try {
      return await startPool(factory, settings, compiled, places.slice(i), tried, why, budget);
    } catch (e) {
      if (e instanceof BertologyError) throw e;
      if (!(e instanceof WorkerStartError)) {
        throw new BertologyError(`cannot start ${build.glue}: ${/** @type {Error} */ (e)?.message ?? e}`, { code: 'RUNTIME', cause: e });
      }
      if (e.exhausted) throw e; // every location was tried
      tried.push(`${places[i].label}: ${e.message}`); // the Worker constructor threw: the next location, anew
    }
  }
  throw new WorkerStartError(why());
}

/**
 * One module whose pool workers come from `places`: the first, and when one of its workers fails
 * (error event: 404, HTML, syntax error, CSP) the next one's fresh workers. Rejects with a BertologyError
 * (RUNTIME) when the wasm cannot be fetched or instantiated, with a WorkerStartError when the Worker
 * constructor throws (not exhausted: the caller tries the next location) or when every place failed
 * before the module was instantiated (exhausted). Otherwise resolves once the module is instantiated,
 * without waiting for the pool (emscripten 3.1.6 waits for every worker to load the module: ~80 ms of
 * worker start-up on the page's critical path); `pool` settles when the workers are up (null) or every
 * place failed, or they stayed silent past the budget (counted from instantiation): the reason.
 * @param {ModuleFactory} factory
 * @param {Record<string, unknown>} settings
 * @param {CompiledWasm} compiled
 * @param {WorkerPlace[]} places
 * @param {string[]} tried what failed so far (appended to)
 * @param {() => string} why the failure message from `tried`
 * @param {{ms: number, deadline: number | null}} budget
 * @returns {Promise<StartedThreads>}
 */
function startPool(factory, settings, compiled, places, tried, why, budget) {
  return new Promise((resolve, reject) => {
    let at = 0; // the place the current workers come from
    /** @type {Worker[]} the current workers */
    let workers = [];
    let loading = 0; // current workers not loaded yet
    let instantiated = false; // the current workers were sent the module
    let handedOut = false; // the module was resolved
    let settled = false; // the pool's outcome is decided (or this try failed)
    let failedEarly = false; // this try failed before the module was handed out
    let waitsForWorkers = false; // a glue that resolves only once its workers are up
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    /** @type {(failure: string | null) => void} */
    let settlePool = () => {};
    /** @type {Promise<string | null>} */
    const pool = new Promise((done) => { settlePool = done; });
    /** @type {Record<string, any>} emscripten's Module object is this very object (MODULARIZE) */
    const options = { ...settings };
    /** @type {(worker: any, loaded?: (worker: any) => void) => void} emscripten's, once instantiated */
    let load = () => {};

    const terminate = (/** @type {Worker[]} */ list) => {
      for (const w of list) {
        try { w.terminate(); } catch { /* gone */ }
      }
    };
    /** @param {WorkerStartError} error */
    const finish = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      terminate(workers);
      if (handedOut) settlePool(why());
      else {
        failedEarly = true;
        error.exhausted = true;
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
    const onLoaded = (/** @type {any} */ w) => {
      if (workers.includes(w) && --loading === 0) up();
    };
    /** A worker of the current place, watched: its failure moves the pool to the next place. */
    const make = () => {
      const w = places[at].create();
      workers.push(w);
      loading++;
      w.addEventListener('error', (event) => {
        if (settled && !failedEarly && workers.includes(w)) return; // after start-up: emscripten's own handler
        event.preventDefault();
        event.stopImmediatePropagation();
        if (workers.includes(w)) next(workerErrorText(event));
      });
      return w;
    };
    /** The current place failed: the next place's workers replace its workers. @param {string} message */
    const next = (message) => {
      if (settled) return;
      tried.push(`${places[at].label}: ${message}`);
      const old = workers;
      workers = [];
      loading = 0;
      terminate(old);
      const pthread = options.PThread;
      if (pthread) pthread.unusedWorkers = pthread.unusedWorkers.filter((/** @type {any} */ w) => !old.includes(w));
      if (++at >= places.length) {
        finish(new WorkerStartError(why()));
        return;
      }
      try {
        for (let i = 0; i < old.length; i++) {
          const w = make();
          pthread?.unusedWorkers.push(w);
          if (instantiated) load.call(pthread, w, onLoaded);
        }
      } catch (e) {
        next(`creating it failed: ${/** @type {Error} */ (e)?.message ?? e}`);
      }
    };

    options.instantiateWasm = (/** @type {WebAssembly.Imports} */ imports, /** @type {(i: WebAssembly.Instance, m: WebAssembly.Module) => void} */ receive) => {
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
        timer = setTimeout(() => {
          if (settled) return;
          tried.push(`${places[at].label}: no answer from the pool workers within ${budget.ms} ms (env.workerTimeout)`);
          finish(new WorkerStartError(why()));
        }, ms);
        const pthread = options.PThread;
        if (typeof pthread?.loadWasmModuleToWorker !== 'function' || !Array.isArray(pthread.unusedWorkers) ||
            pthread.unusedWorkers.length === 0) {
          // not the glue we know (setModuleImporter): it waits for its workers itself
          waitsForWorkers = true;
          receive(instance, module);
          return;
        }
        // emscripten counts a worker as loaded when it answers: tell it so at once (the engine's pool
        // threads are only created once the workers are up), and count the real answers here
        load = pthread.loadWasmModuleToWorker;
        instantiated = true;
        pthread.loadWasmModuleToWorker = (/** @type {any} */ w, /** @type {(w: any) => void} */ loaded) => {
          load.call(pthread, w, onLoaded);
          loaded?.(w);
        };
        try {
          receive(instance, module);
        } finally {
          pthread.loadWasmModuleToWorker = load;
        }
      }).catch((e) => {
        if (settled) return;
        settled = true;
        failedEarly = !handedOut;
        clearTimeout(timer);
        terminate(workers);
        if (handedOut) settlePool(String(e?.message ?? e));
        else reject(e);
      });
      return {};
    };
    options.createPthreadWorker = make;

    let created;
    try {
      created = factory(options);
    } catch (e) {
      settled = true;
      failedEarly = true;
      terminate(workers);
      // the Worker constructor (or the glue) threw: the caller tries the next location
      reject(new WorkerStartError(`creating it failed: ${/** @type {Error} */ (e)?.message ?? e}`));
      return;
    }
    created.then((module) => {
      if (failedEarly) {
        module.PThread?.terminateAllThreads();
        return;
      }
      handedOut = true;
      resolve({ module, pool });
      if (waitsForWorkers) up();
    }, (e) => finish(new WorkerStartError(`the runtime did not start: ${e?.message ?? e}`)));
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
