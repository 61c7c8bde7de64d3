// Where the package runs: Node or a browser (page or worker), whether threads are available, the
// default thread count, Node built-ins without an import statement (bundlers must never see one).

/** @returns {boolean} */
export function isNode() {
  return typeof process === 'object' && typeof process.versions?.node === 'string' &&
    // a browser page or worker that polyfills `process` is still a browser
    typeof (/** @type {any} */ (globalThis).window) === 'undefined' &&
    typeof (/** @type {any} */ (globalThis).WorkerGlobalScope) === 'undefined';
}

/**
 * The Node built-ins the package uses (types only: nothing is imported).
 * @typedef {{fs: typeof import('node:fs'), path: typeof import('node:path'), url: typeof import('node:url'),
 *   os: typeof import('node:os'), worker_threads: typeof import('node:worker_threads')}} NodeModules
 */

/**
 * A Node built-in module, without an import statement (bundlers must never see one: browser bundles
 * contain this package's Node code paths, which only run under Node). Node >= 20.16.
 * @template {keyof NodeModules} ID
 * @param {ID} id
 * @returns {NodeModules[ID]}
 */
export function nodeModule(id) {
  return /** @type {NodeModules[ID]} */ (process.getBuiltinModule(id));
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
    const os = nodeModule('os');
    n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  } else if (typeof navigator === 'object' && navigator.hardwareConcurrency) {
    n = navigator.hardwareConcurrency;
  }
  return Math.max(1, Math.min(4, n));
}

/**
 * A `bertology:<name>` performance mark (browsers only: DevTools' timeline shows them; Node would keep
 * every mark in its global timeline). Load milestones only, never per call.
 * @param {string} name
 */
export function mark(name) {
  if (isNode()) return;
  try {
    globalThis.performance?.mark?.(`bertology:${name}`);
  } catch {
    // a polyfilled or restricted performance object: no mark
  }
}
