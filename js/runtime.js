// The wasm runtime: one emscripten module per (JS thread, build variant, thread count), created lazily.
//
// Two builds ship in dist/:
//   bertology.mjs    + .wasm + bertology.worker.js   pthreads; needs SharedArrayBuffer, i.e. Node, or a
//                                                   browser page that is cross-origin isolated
//                                                   (COOP same-origin + COEP require-corp)
//   bertology-st.mjs + .wasm                        single-threaded; runs anywhere
// `getRuntime({threads})` takes the threaded build when threads > 1 and SharedArrayBuffer is usable,
// and the single-threaded build otherwise (threads: 1, or no cross-origin isolation: a silent
// fallback that `runtime.variant` / `runtime.fallback` report). Both are imported relative to this
// module (`../dist/...`); emscripten finds the .wasm and the pthread worker script next to the .mjs
// (`new URL(..., import.meta.url)`), so nothing is fetched from anywhere else.
//
// Node: emscripten 3.1.6 creates the pool workers with `worker_threads` and never unrefs them, so an
// idle pool would keep the process alive forever. We unref every pool worker, including ones the
// pool adds later, so a CLI or script ends when its own work is done; `shutdown()` terminates them.

import { BertologyError } from './errors.js';

/**
 * The Embind module as the JS layer uses it (see src/bindings/).
 * @typedef {object} EngineModule
 * @property {(n: number) => number} setNumThreads
 * @property {new () => any} FileStore
 * @property {(store: any, optionsJson?: string) => ({model: any} | {error: string})} loadModel
 * @property {new (model: any) => any} Explainer the explanation engine of a model (src/explain/)
 * @property {() => string} heapStats JSON {in_use_bytes, heap_bytes}
 * @property {Uint8Array} HEAPU8 the current view of wasm memory
 * @property {{unusedWorkers: any[], runningWorkers: any[], allocateUnusedWorker: () => void,
 *   terminateAllThreads: () => void}} [PThread] emscripten's pthread bookkeeping (threaded build)
 */

/** @typedef {'threads' | 'single'} RuntimeVariant */

/**
 * A created runtime: the module plus what it was created for.
 * @typedef {object} Runtime
 * @property {EngineModule} module
 * @property {number} threads engine threads actually used
 * @property {RuntimeVariant} variant which wasm build: 'threads' (bertology.mjs) or 'single' (bertology-st.mjs)
 * @property {number} requestedThreads what was asked for (or the default)
 * @property {string | null} fallback why fewer threads than requested are used, else null
 * @property {boolean} crossOriginIsolated whether the JS context is cross-origin isolated (Node: true)
 * @property {() => {heapBytes: number}} memory current size of the wasm memory (it only grows)
 */

/** @typedef {() => Promise<{default: (opts: object) => Promise<EngineModule>}>} ModuleImporter */

/** @type {Map<string, Promise<Runtime>>} */
const runtimes = new Map();

/** @type {Record<RuntimeVariant, ModuleImporter>} */
const importers = {
  threads: () => import('../dist/bertology.mjs'),
  single: () => import('../dist/bertology-st.mjs'),
};
/** @type {Record<RuntimeVariant, string>} */
const BUILD_FILES = { threads: 'dist/bertology.mjs', single: 'dist/bertology-st.mjs' };

/**
 * Where browsers fetch each build's .wasm from: next to the .mjs, resolved relative to this module
 * (bundlers see these `new URL(..., import.meta.url)` and emit the files).
 * @type {Record<RuntimeVariant, URL | string | null>}
 */
const wasmUrls = {
  threads: new URL('../dist/bertology.wasm', import.meta.url),
  single: new URL('../dist/bertology-st.wasm', import.meta.url),
};

/**
 * Replaces where a module factory is imported from (e.g. a bundler-specific URL). Affects runtimes
 * created afterwards only. A function replaces the threaded build's importer (backward compatible);
 * an object `{threads, single}` replaces either or both.
 * @param {ModuleImporter | Partial<Record<RuntimeVariant, ModuleImporter>>} importer
 */
export function setModuleImporter(importer) {
  if (typeof importer === 'function') importers.threads = importer;
  else Object.assign(importers, importer);
}

/**
 * Replaces where browsers fetch a build's .wasm from (e.g. a bundler's asset URL); null lets the
 * emscripten glue locate it next to its .mjs. Node always reads the file next to the .mjs.
 * @param {Partial<Record<RuntimeVariant, URL | string | null>>} urls
 */
export function setWasmUrls(urls) {
  Object.assign(wasmUrls, urls);
}

/**
 * Browsers: instantiate the .wasm ourselves (streaming compile from `wasmUrls`). The glue's own path
 * cannot be relied on on a page's main thread: emscripten-pre.js shadows `fetch` for Node with a
 * hoisted `var`, which leaves the glue without fetch in browsers too (a worker falls back to a slow
 * synchronous XHR; a page's main thread fails).
 * @param {RuntimeVariant} variant
 * @returns {{options: object, failed: Promise<never>}}
 */
function browserInstantiation(variant) {
  const url = wasmUrls[variant];
  /** @type {(e: unknown) => void} */
  let fail = () => {};
  /** @type {Promise<never>} */
  const failed = new Promise((_, reject) => { fail = reject; });
  if (isNode() || !url) return { options: {}, failed };
  const href = String(url);
  const options = {
    instantiateWasm(/** @type {WebAssembly.Imports} */ imports, /** @type {(i: WebAssembly.Instance, m: WebAssembly.Module) => void} */ receive) {
      (async () => {
        /** @type {WebAssembly.WebAssemblyInstantiatedSource} */
        let result;
        const response = await fetch(href, { credentials: 'same-origin' });
        if (!response.ok) throw new Error(`HTTP ${response.status} for ${href}`);
        const type = response.headers.get('content-type') ?? '';
        if (typeof WebAssembly.instantiateStreaming === 'function' && type.startsWith('application/wasm')) {
          result = await WebAssembly.instantiateStreaming(response, imports);
        } else {
          // a server without the application/wasm MIME type: compile from bytes
          result = await WebAssembly.instantiate(await response.arrayBuffer(), imports);
        }
        receive(result.instance, result.module);
      })().catch((e) => fail(new Error(`cannot fetch or compile ${href}: ${e?.message ?? e}`)));
      return {};
    },
  };
  return { options, failed };
}

/** @returns {boolean} */
export function isNode() {
  return typeof process === 'object' && typeof process.versions?.node === 'string' &&
    // a browser page or worker that polyfills `process` is still a browser
    typeof (/** @type {any} */ (globalThis).window) === 'undefined' &&
    typeof (/** @type {any} */ (globalThis).WorkerGlobalScope) === 'undefined';
}

/**
 * Whether the threaded build can run here: Node always; browsers (page or worker) only when
 * cross-origin isolated, which is what makes SharedArrayBuffer available.
 * @returns {boolean}
 */
export function threadsAvailable() {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  if (isNode()) return true;
  return /** @type {any} */ (globalThis).crossOriginIsolated === true;
}

/**
 * The default engine thread count: the machine's parallelism capped at 4 (BERT-sized matmuls stop
 * scaling beyond that in wasm, and a browser should keep cores for its own work), or 1 where threads
 * are unavailable (no cross-origin isolation).
 * @returns {Promise<number>}
 */
export async function defaultThreadCount() {
  if (!threadsAvailable()) return 1;
  let n = 1;
  if (isNode()) {
    const os = await import('node:os');
    n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  } else if (typeof navigator === 'object' && navigator.hardwareConcurrency) {
    n = navigator.hardwareConcurrency;
  }
  return Math.max(1, Math.min(4, n));
}

/**
 * Makes every current and future pool worker of `module` not keep Node's event loop alive.
 * @param {EngineModule} module
 */
function unrefWorkers(module) {
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

/**
 * Which build and thread count a request resolves to here.
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
    pending = createRuntime(plan.variant, plan.threads);
    runtimes.set(key, pending);
    pending.catch(() => runtimes.delete(key));
  }
  const runtime = await pending;
  if (runtime.requestedThreads === requested) return runtime;
  // Same module, different request (e.g. 8 threads asked for without isolation): a view of it.
  return { ...runtime, requestedThreads: requested, fallback: plan.fallback };
}

/**
 * @param {RuntimeVariant} variant
 * @param {number} threads
 * @returns {Promise<Runtime>}
 */
async function createRuntime(variant, threads) {
  let factory;
  try {
    factory = (await importers[variant]()).default;
  } catch (cause) {
    const why = /** @type {Error} */ (cause).message;
    throw new BertologyError(`cannot load the wasm module ${BUILD_FILES[variant]} (run npm run build): ${why}`,
      { code: 'RUNTIME', cause });
  }
  let module;
  try {
    // emscripten 3.1.6 never finishes instantiating a pthreads build whose runtime pool size is 0
    // (preamble.js waits for "all pool workers loaded"), so the pool always has at least one worker.
    const { options, failed } = browserInstantiation(variant);
    const settings = variant === 'threads' ? { ...options, numThreads: Math.max(2, threads) } : options;
    module = await Promise.race([factory(settings), failed]);
  } catch (cause) {
    throw new BertologyError(`cannot instantiate ${BUILD_FILES[variant]}: ${/** @type {Error} */ (cause)?.message ?? cause}`,
      { code: 'RUNTIME', cause });
  }
  if (isNode()) unrefWorkers(module);
  module.setNumThreads(threads);
  const m = module;
  return {
    module, threads, variant, requestedThreads: threads, fallback: null,
    crossOriginIsolated: isNode() || /** @type {any} */ (globalThis).crossOriginIsolated === true,
    memory: () => ({ heapBytes: m.HEAPU8.length }),
  };
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
