// The wasm runtime: one emscripten module per (JS thread, build, thread count), created lazily.
//
// `getRuntime({threads})` takes a `threads` build when threads > 1 and SharedArrayBuffer is usable,
// else a `single` one (`runtime.fallback` says why); within a variant, the first build whose
// `supported()` holds wins, and one that cannot be fetched or compiled gives way to the next
// (`runtime.build` says which runs). The parts:
//   js/runtime/builds.js   the build table (BUILDS: glue, wasm and worker files), setModuleImporter, setWasmUrls
//   js/runtime/host.js     Node or browser, threads available, default thread count, Node built-ins
//   js/runtime/wasm.js     browsers: where the files are; fetch + compile + instantiate the wasm
//   js/runtime/threads.js  pool workers: bounded start in browsers (never a hang), unref'd in Node

import { BertologyError } from './errors.js';
import { BUILDS, buildFactory, candidateBuilds, setModuleImporter, setWasmUrls } from './runtime/builds.js';
import { defaultThreadCount, isNode, mark, nodeModule, threadsAvailable } from './runtime/host.js';
import { compileWasm, instantiate } from './runtime/wasm.js';
import { DEFAULT_WORKER_TIMEOUT, startThreads, unrefWorkers, workerTimeout, WorkerStartError } from './runtime/threads.js';

export { BUILDS, setModuleImporter, setWasmUrls, defaultThreadCount, isNode, nodeModule, threadsAvailable,
  DEFAULT_WORKER_TIMEOUT, workerTimeout };

/**
 * The Embind module as the JS layer uses it: the engine's entry points exactly as the contract types
 * them (src/bindings/engine_contract.json → js/engine-contract.js, EngineBindings), plus emscripten's own.
 * @typedef {import('./engine-contract.js').EngineBindings & EmscriptenParts} EngineModule
 */

/**
 * What emscripten itself adds to the module.
 * @typedef {object} EmscriptenParts
 * @property {Uint8Array} HEAPU8 the current view of wasm memory
 * @property {{unusedWorkers: any[], runningWorkers: any[], allocateUnusedWorker: () => void,
 *   terminateAllThreads: () => void}} [PThread] emscripten's pthread bookkeeping (threaded build)
 */

/** @typedef {import('./runtime/builds.js').RuntimeVariant} RuntimeVariant */
/** @typedef {import('./runtime/builds.js').Build} Build */

// ---------------------------------------------------------------------------------------------
// Runtime objects

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** A created runtime: the module plus what it was created for. Prints as a short summary. */
export class Runtime {
  /**
   * @param {EngineModule} module
   * @param {{build: string, variant: RuntimeVariant, threads: number, requestedThreads: number,
   *   fallback: string | null, crossOriginIsolated: boolean}} info
   */
  constructor(module, { build, variant, threads, requestedThreads, fallback, crossOriginIsolated }) {
    /** @type {EngineModule} the Embind module (not enumerable, so logs and JSON stay short) */
    this.module = module;
    Object.defineProperty(this, 'module', { enumerable: false });
    /** which build: an entry of BUILDS ('threads', 'single', …) */
    this.build = build;
    /** 'threads' (pthreads) or 'single' */
    this.variant = variant;
    /** engine threads used (in a browser, once the pool workers are up: `threadsReady`) */
    this.threads = threads;
    /** what was asked for (or the default) */
    this.requestedThreads = requestedThreads;
    /** why fewer threads than requested are used (and what to do), else null */
    this.fallback = fallback;
    /** whether the JS context is cross-origin isolated (Node: true) */
    this.crossOriginIsolated = crossOriginIsolated;
    /**
     * Settles (never rejects) once the pool's threads are up, or once it is decided that they cannot
     * start — then `threads` is 1 and `fallback` says why. A threaded runtime in a browser is handed out
     * as soon as its wasm is instantiated and runs on the calling thread alone until its pool workers
     * have started (results are bitwise the same at any thread count). Resolved at once elsewhere.
     * @type {Promise<void>}
     */
    this.threadsReady = Promise.resolve();
    Object.defineProperty(this, 'threadsReady', { enumerable: false, writable: true });
  }

  /**
   * Which instruction set the build uses and which int8 GEMM kernel runs (a relaxed build times its two
   * kernels on the first call, 10-60 ms, or at the first int8 model load).
   * @returns {{simd: 'relaxed' | 'simd128', int8: string}}
   */
  kernels() {
    return JSON.parse(this.module.kernels());
  }

  /** @returns {{heapBytes: number}} current size of the wasm memory (it only grows) */
  memory() {
    return { heapBytes: this.module.HEAPU8.length };
  }

  /** The summary (without the module): what `JSON.stringify(model.runtime)` prints. */
  toJSON() {
    const { build, variant, threads, requestedThreads, fallback, crossOriginIsolated } = this;
    return { build, variant, threads, requestedThreads, fallback, crossOriginIsolated };
  }

  toString() {
    return `bertology ${this.build} build, ${this.threads} thread${this.threads === 1 ? '' : 's'}` +
      (this.fallback ? ` (${this.fallback})` : '');
  }

  /**
   * util.inspect / console.log in Node.
   * @param {number} _depth
   * @param {object} options
   * @param {(value: unknown, options: object) => string} inspect
   */
  [INSPECT](_depth, options, inspect) {
    return `Runtime ${inspect(this.toJSON(), options)}`;
  }

  /**
   * The same module seen from another request (e.g. 8 threads asked for without isolation).
   * @param {number} requestedThreads
   * @param {string | null} fallback
   */
  asRequested(requestedThreads, fallback) {
    const view = new Runtime(this.module, { ...this.toJSON(), requestedThreads, fallback });
    view.threadsReady = this.threadsReady;
    return view;
  }
}

// ---------------------------------------------------------------------------------------------
// Choosing a build

/**
 * Which variant and thread count a request resolves to here.
 * @param {number} requested
 * @returns {{variant: RuntimeVariant, threads: number, fallback: string | null}}
 */
export function planRuntime(requested) {
  if (requested === 1) return { variant: 'single', threads: 1, fallback: null };
  if (threadsAvailable()) return { variant: 'threads', threads: requested, fallback: null };
  const why = typeof SharedArrayBuffer === 'undefined'
    ? 'SharedArrayBuffer is unavailable (serve the page with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)'
    : 'the page is not cross-origin isolated';
  return { variant: 'single', threads: 1, fallback: `${requested} threads requested, running single-threaded: ${why}` };
}

/**
 * A runtime from the first candidate build of `variant` that can be fetched and compiled (a relaxed-SIMD
 * build missing from a deployment gives way to the SIMD128 one); the last candidate's error otherwise.
 * @param {RuntimeVariant} variant
 * @param {number} threads
 * @returns {Promise<Runtime>}
 */
async function createFromCandidates(variant, threads) {
  const builds = candidateBuilds(variant);
  for (let i = 0; ; i++) {
    try {
      return await createRuntime(builds[i], threads);
    } catch (e) {
      // A pool worker that cannot start is the page's setup (CSP, host rewrites, a missing file), not the
      // build's: createThreaded falls back to the single-threaded build at once.
      if (i === builds.length - 1 || e instanceof WorkerStartError) throw e;
    }
  }
}

/** @type {Map<string, Promise<Runtime>>} */
const runtimes = new Map();

/**
 * Returns the runtime for `threads` engine threads, creating it on first use.
 * @param {{threads?: number}} [options]
 * @returns {Promise<Runtime>}
 */
export async function getRuntime({ threads } = {}) {
  const requested = threads ?? await defaultThreadCount();
  if (!Number.isInteger(requested) || requested < 1 || requested > 64) {
    throw new BertologyError(`threads must be an integer in 1..64, got ${threads}`, { code: 'INVALID_ARGUMENT' });
  }
  const plan = planRuntime(requested);
  const key = `${plan.variant}:${plan.threads}`;
  let pending = runtimes.get(key);
  if (!pending) {
    pending = plan.variant === 'threads' ? createThreaded(plan.threads) : createFromCandidates('single', 1);
    runtimes.set(key, pending);
    pending.catch(() => runtimes.delete(key));
  }
  const runtime = await pending;
  if (runtime.requestedThreads === requested) return runtime;
  // Same module, different request (e.g. 8 threads asked for without isolation): a view of it.
  return runtime.asRequested(requested, runtime.fallback ?? plan.fallback);
}

/**
 * A threaded runtime, or — when its pool workers cannot start in a browser — the single-threaded one,
 * with `fallback` saying why.
 * @param {number} threads
 * @returns {Promise<Runtime>}
 */
async function createThreaded(threads) {
  try {
    return await createFromCandidates('threads', threads);
  } catch (e) {
    if (!(e instanceof WorkerStartError)) throw e;
    const single = await getRuntime({ threads: 1 });
    return single.asRequested(threads, `${threads} threads requested, running single-threaded: ${e.message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Creating a runtime

/**
 * @param {Build} build
 * @param {number} threads
 * @returns {Promise<Runtime>}
 */
async function createRuntime(build, threads) {
  const factory = await buildFactory(build);
  // emscripten 3.1.6 never finishes instantiating a pthreads build whose runtime pool size is 0
  // (preamble.js waits for "all pool workers loaded"), so the pool always has at least one worker.
  const settings = build.variant === 'threads' ? { numThreads: Math.max(2, threads) } : {};
  /** @type {EngineModule} */
  let module;
  /** @type {Promise<string | null> | null} browsers: whether the pool workers came up */
  let pool = null;
  if (isNode()) {
    try {
      module = await factory(settings);
    } catch (cause) {
      throw new BertologyError(`cannot instantiate ${build.glue}: ${/** @type {Error} */ (cause)?.message ?? cause}`,
        { code: 'RUNTIME', cause });
    }
    unrefWorkers(module);
    module.setNumThreads(threads);
  } else {
    // not awaited: the pool workers (created by the factory) load their script while the wasm downloads
    const compiled = compileWasm(build);
    if (build.worker) {
      ({ module, pool } = await startThreads(build, factory, settings, compiled));
    } else {
      module = await instantiate(build, factory, settings, compiled);
    }
    // the calling thread alone until the pool's workers are up (then the engine starts its threads)
    if (!pool) module.setNumThreads(threads);
    mark(`runtime-ready ${build.name}`);
  }
  const runtime = new Runtime(module, {
    build: build.name, variant: build.variant, threads, requestedThreads: threads, fallback: null,
    crossOriginIsolated: isNode() || /** @type {any} */ (globalThis).crossOriginIsolated === true,
  });
  if (pool) {
    const started = /** @type {EngineModule} */ (module);
    runtime.threadsReady = pool.then((why) => {
      if (!why) {
        started.setNumThreads(threads);
        return;
      }
      // the workers could not start: one thread (the same results), and say why
      runtime.threads = 1;
      runtime.fallback = `${threads} threads requested, running single-threaded: ${why}`;
    });
  }
  return runtime;
}

/**
 * Terminates the pthread workers of every runtime created so far and forgets them. Models loaded
 * on those runtimes must not be used afterwards; a later `getRuntime` creates fresh runtimes.
 * @returns {Promise<void>}
 */
export async function shutdown() {
  const all = [...runtimes.values()];
  runtimes.clear();
  for (const pending of all) {
    try {
      const { module } = await pending;
      module.PThread?.terminateAllThreads();
    } catch {
      // A runtime that failed to start has nothing to terminate.
    }
  }
}
