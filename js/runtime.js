// The wasm runtime: one emscripten module per (process or JS thread, thread count), created lazily.
//
// Threads: the module is built with pthreads and a pool of `numThreads - 1` workers. Under Node,
// emscripten 3.1.6 creates those workers with `worker_threads` and never unrefs them, so an idle
// pool keeps the process alive forever (emscripten itself only terminates them on exit, through
// `PThread.terminateAllThreads`). We unref every pool worker, including ones the pool adds later,
// so a CLI or script ends when its own work is done; `shutdown()` terminates them explicitly.

import { BertologyError } from './errors.js';

/**
 * The Embind module as the JS layer uses it (see src/bindings/).
 * @typedef {object} EngineModule
 * @property {(n: number) => void} setNumThreads
 * @property {new () => any} FileStore
 * @property {(store: any) => ({model: any} | {error: string})} loadModel
 * @property {{unusedWorkers: any[], runningWorkers: any[], allocateUnusedWorker: () => void,
 *   terminateAllThreads: () => void}} [PThread] emscripten's pthread bookkeeping
 */

/**
 * A created runtime: the module plus the thread count it was created for.
 * @typedef {object} Runtime
 * @property {EngineModule} module
 * @property {number} threads
 */

/** @type {Map<number, Promise<Runtime>>} */
const runtimes = new Map();

/** @type {(() => Promise<{default: (opts: object) => Promise<EngineModule>}>)} */
let importFactory = () => import('../dist/bertology.mjs');

/**
 * Replaces where the module factory is imported from (e.g. a bundler-specific URL). Affects
 * runtimes created afterwards only.
 * @param {() => Promise<{default: (opts: object) => Promise<EngineModule>}>} importer
 */
export function setModuleImporter(importer) {
  importFactory = importer;
}

/** @returns {boolean} */
export function isNode() {
  return typeof process === 'object' && typeof process.versions?.node === 'string';
}

/**
 * The default engine thread count: the machine's parallelism, capped at 4 (BERT-sized matmuls
 * stop scaling beyond that in wasm), or 1 where SharedArrayBuffer is unavailable.
 * @returns {Promise<number>}
 */
export async function defaultThreadCount() {
  if (typeof SharedArrayBuffer === 'undefined') return 1;
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
 * Returns the runtime for `threads` engine threads, creating it on first use.
 * @param {{threads?: number}} [options]
 * @returns {Promise<Runtime>}
 */
export async function getRuntime({ threads } = {}) {
  const n = threads ?? await defaultThreadCount();
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new BertologyError(`threads must be an integer in 1..64, got ${threads}`, { code: 'INVALID_ARGUMENT' });
  }
  let pending = runtimes.get(n);
  if (!pending) {
    pending = createRuntime(n);
    runtimes.set(n, pending);
    pending.catch(() => runtimes.delete(n));
  }
  return pending;
}

/**
 * @param {number} threads
 * @returns {Promise<Runtime>}
 */
async function createRuntime(threads) {
  let factory;
  try {
    factory = (await importFactory()).default;
  } catch (cause) {
    const why = /** @type {Error} */ (cause).message;
    throw new BertologyError(`cannot load the wasm module dist/bertology.mjs (run npm run build): ${why}`,
      { code: 'RUNTIME', cause });
  }
  // emscripten 3.1.6 never finishes instantiating a pthreads build whose runtime pool size is 0
  // (preamble.js waits for "all pool workers loaded", which never fires with no workers), so a
  // 1-thread runtime still gets one pool worker; setNumThreads(1) then keeps the engine on 1 thread.
  const module = await factory({ numThreads: Math.max(2, threads) });
  if (isNode()) unrefWorkers(module);
  module.setNumThreads(threads);
  return { module, threads };
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
