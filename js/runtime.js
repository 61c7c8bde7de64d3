// The wasm runtime: one emscripten module per (JS thread, build, thread count), created lazily.
//
// BUILDS lists every wasm build the package ships, with every file the runtime fetches for it. Four
// (dist/, made by CMakeLists.txt + web/postlink.mjs):
//   threads          bertology.mjs    + .wasm + bertology.worker.mjs (browsers) / .worker.js (Node)
//                    pthreads; needs SharedArrayBuffer: Node, or a cross-origin-isolated browser context
//   single           bertology-st.mjs + .wasm     runs anywhere
//   threads-relaxed, single-relaxed: bertology-relaxed.* and bertology-st-relaxed.*, the same with
//                    relaxed-SIMD int8 kernels (docs/kernels.md); only where relaxed SIMD validates
//                    (Node 22+, Chromium 114+; js/simd-features.js). Results are bitwise those of the
//                    SIMD128 builds.
// `getRuntime({threads})` takes a `threads` build when threads > 1 and SharedArrayBuffer is usable,
// else a `single` one (`runtime.fallback` says why); within a variant, the first build whose
// `supported()` holds wins, and one that cannot be fetched or compiled gives way to the next
// (`runtime.build` says which runs).
//
// Where browsers get the files (docs/build.md, "Bundlers"): the glue modules are imported statically
// (bundlers bundle them; no dynamic import(), which Vite's default `iife` worker format cannot split),
// the wasm and the pthread worker through `new URL('../dist/…', import.meta.url)` /
// `new Worker(new URL(…), {type: 'module'})`, which bundlers follow and emit. `env.wasmPaths` (one
// setting) relocates all of them: a URL prefix where the files of dist/ are served. Without it, a file
// that the bundler did not emit (esbuild, plain Rollup) or that a dev server cannot find answers 404 /
// an HTML page; the runtime then tries Vite's dev-server location of the package
// (/node_modules/bertology/dist/, for Vite 6's dependency pre-bundling, which loses relative URLs)
// and otherwise reports which file is missing and how to fix it.
//
// Threads in browsers never hang: the pool workers must start within `env.workerTimeout` ms after the
// wasm is compiled; a worker that fails to load (404, HTML, syntax error, CSP) or stays silent makes
// the runtime fall back to the single-threaded build, and `runtime.fallback` names the file and the fix.
//
// Node: emscripten 3.1.6 creates the pool workers with `worker_threads` and never unrefs them, so an
// idle pool would keep the process alive forever. We unref every pool worker, including ones the
// pool adds later, so a CLI or script ends when its own work is done; `shutdown()` terminates them.

import { BertologyError } from './errors.js';
import { env } from './sources/env.js';
import { relaxedSimdSupported } from './simd-features.js';
import createThreadsModule from '../dist/bertology.mjs';
import createSingleModule from '../dist/bertology-st.mjs';
import createThreadsRelaxedModule from '../dist/bertology-relaxed.mjs';
import createSingleRelaxedModule from '../dist/bertology-st-relaxed.mjs';

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

/** @typedef {'threads' | 'single'} RuntimeVariant */

/** @typedef {(options: Record<string, unknown>) => Promise<EngineModule>} ModuleFactory */

/**
 * One wasm build: its glue (imported statically above), its files, and when it can run.
 * @typedef {object} Build
 * @property {string} name
 * @property {RuntimeVariant} variant 'threads' (pthreads) or 'single'
 * @property {ModuleFactory} factory the glue's module factory
 * @property {string} glue the glue's file name in dist/ (messages)
 * @property {{name: string, bundled: () => URL}} wasm where a bundler put the .wasm
 * @property {{name: string, bundled: () => Worker}} [worker] browsers: the pthread worker script
 * @property {() => boolean} [supported] feature test (default: always)
 */

/** The relaxed-SIMD builds: where the JS engine has relaxed SIMD, unless `env.relaxedSimd` is false. */
function useRelaxedSimd() {
  return env.relaxedSimd !== false && relaxedSimdSupported();
}

/**
 * Every build, best first within each variant. To add one (e.g. a relaxed-SIMD twin): link it in
 * CMakeLists.txt (bt_wasm_build), import its glue above, add its entry here with a `supported` test.
 * The `new URL` / `new Worker` expressions must stay literal: that is what bundlers look for.
 * @type {Build[]}
 */
export const BUILDS = [
  {
    name: 'threads-relaxed', variant: 'threads', factory: /** @type {ModuleFactory} */ (createThreadsRelaxedModule),
    glue: 'bertology-relaxed.mjs', supported: useRelaxedSimd,
    wasm: { name: 'bertology-relaxed.wasm', bundled: () => new URL('../dist/bertology-relaxed.wasm', import.meta.url) },
    worker: {
      name: 'bertology-relaxed.worker.mjs',
      bundled: () => new Worker(new URL('../dist/bertology-relaxed.worker.mjs', import.meta.url), { type: 'module' }),
    },
  },
  {
    name: 'threads', variant: 'threads', factory: /** @type {ModuleFactory} */ (createThreadsModule), glue: 'bertology.mjs',
    wasm: { name: 'bertology.wasm', bundled: () => new URL('../dist/bertology.wasm', import.meta.url) },
    worker: {
      name: 'bertology.worker.mjs',
      bundled: () => new Worker(new URL('../dist/bertology.worker.mjs', import.meta.url), { type: 'module' }),
    },
  },
  {
    name: 'single-relaxed', variant: 'single', factory: /** @type {ModuleFactory} */ (createSingleRelaxedModule),
    glue: 'bertology-st-relaxed.mjs', supported: useRelaxedSimd,
    wasm: { name: 'bertology-st-relaxed.wasm', bundled: () => new URL('../dist/bertology-st-relaxed.wasm', import.meta.url) },
  },
  {
    name: 'single', variant: 'single', factory: /** @type {ModuleFactory} */ (createSingleModule), glue: 'bertology-st.mjs',
    wasm: { name: 'bertology-st.wasm', bundled: () => new URL('../dist/bertology-st.wasm', import.meta.url) },
  },
];


/** @typedef {() => Promise<{default: (opts: object) => Promise<unknown>}>} ModuleImporter */

/** @type {Partial<Record<string, ModuleImporter>>} overrides of a build's glue (setModuleImporter) */
const importers = {};
/** @type {Partial<Record<string, URL | string | null>>} overrides of a build's wasm URL (setWasmUrls) */
const wasmUrls = {};

/**
 * Replaces where a build's module factory comes from (tests, custom builds). Affects runtimes created
 * afterwards only. A function replaces the threaded build's; an object `{threads, single}` either or both.
 * @param {ModuleImporter | Partial<Record<RuntimeVariant, ModuleImporter>>} importer
 */
export function setModuleImporter(importer) {
  if (typeof importer === 'function') importers.threads = importer;
  else Object.assign(importers, importer);
}

/**
 * Replaces where browsers fetch one build's .wasm (null: the default). `env.wasmPaths` moves every file
 * at once and is usually what you want; this is per build.
 * @param {Partial<Record<RuntimeVariant, URL | string | null>>} urls
 */
export function setWasmUrls(urls) {
  Object.assign(wasmUrls, urls);
}

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
    /** engine threads actually used */
    this.threads = threads;
    /** what was asked for (or the default) */
    this.requestedThreads = requestedThreads;
    /** why fewer threads than requested are used (and what to do), else null */
    this.fallback = fallback;
    /** whether the JS context is cross-origin isolated (Node: true) */
    this.crossOriginIsolated = crossOriginIsolated;
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
    return new Runtime(this.module, { ...this.toJSON(), requestedThreads, fallback });
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
 * The builds of `variant` that can run here, best first.
 * @param {RuntimeVariant} variant
 * @returns {Build[]}
 */
function candidateBuilds(variant) {
  const builds = BUILDS.filter((b) => b.variant === variant && (b.supported?.() ?? true));
  if (builds.length === 0) throw new BertologyError(`no ${variant} wasm build can run here`, { code: 'RUNTIME' });
  return builds;
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
  let factory = build.factory;
  const importer = importers[build.name] ?? importers[build.variant];
  if (importer) {
    try {
      factory = /** @type {ModuleFactory} */ ((await importer()).default);
    } catch (cause) {
      throw new BertologyError(`cannot load the wasm module ${build.glue}: ${/** @type {Error} */ (cause)?.message ?? cause}`,
        { code: 'RUNTIME', cause });
    }
  }
  // emscripten 3.1.6 never finishes instantiating a pthreads build whose runtime pool size is 0
  // (preamble.js waits for "all pool workers loaded"), so the pool always has at least one worker.
  const settings = build.variant === 'threads' ? { numThreads: Math.max(2, threads) } : {};
  let module;
  if (isNode()) {
    try {
      module = await factory(settings);
    } catch (cause) {
      throw new BertologyError(`cannot instantiate ${build.glue}: ${/** @type {Error} */ (cause)?.message ?? cause}`,
        { code: 'RUNTIME', cause });
    }
    unrefWorkers(module);
  } else {
    // not awaited: the pool workers (created by the factory) load their script while the wasm downloads
    const compiled = compileWasm(build);
    module = build.worker ? await startThreads(build, factory, settings, compiled) : await instantiate(build, factory, settings, compiled);
  }
  module.setNumThreads(threads);
  return new Runtime(module, {
    build: build.name, variant: build.variant, threads, requestedThreads: threads, fallback: null,
    crossOriginIsolated: isNode() || /** @type {any} */ (globalThis).crossOriginIsolated === true,
  });
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

// ---------------------------------------------------------------------------------------------
// Browsers: where the files are

/** `import.meta.url` of this module, or null where the bundle format has none (esbuild's iife). */
function moduleUrl() {
  try {
    return typeof import.meta.url === 'string' ? import.meta.url : null;
  } catch {
    return null;
  }
}

/** @param {string | URL} base */
function resolveBase(base) {
  const href = /** @type {any} */ (globalThis).location?.href;
  const url = href ? new URL(String(base), href) : new URL(String(base));
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/**
 * Vite 6's dev server pre-bundles dependencies into /node_modules/.vite/deps/ and keeps
 * `new URL('../dist/…', import.meta.url)` relative to that copy, where nothing exists; the package
 * itself is served at /node_modules/bertology/.
 * @returns {URL | null}
 */
function viteDevDist() {
  const here = moduleUrl();
  const at = here?.indexOf('/node_modules/.vite/') ?? -1;
  return here && at >= 0 ? new URL(`${here.slice(0, at)}/node_modules/bertology/dist/`) : null;
}

/**
 * The places to try for one file, in order.
 * @param {string} name file name in dist/
 * @param {() => URL | Worker} bundled
 * @param {URL | string | null | undefined} override setWasmUrls
 * @returns {{label: string, url: URL | null, bundled?: () => any}[]}
 */
function locations(name, bundled, override) {
  if (override) return [{ label: `${override} (setWasmUrls)`, url: new URL(String(override), resolveBase('.')) }];
  if (env.wasmPaths) {
    const url = new URL(name, resolveBase(env.wasmPaths));
    return [{ label: `${url.href} (env.wasmPaths)`, url }];
  }
  /** @type {{label: string, url: URL | null, bundled?: () => any}[]} */
  const list = [{ label: `dist/${name} (next to the package's modules, or where the bundler emitted it)`, url: null, bundled }];
  const vite = viteDevDist();
  if (vite) list.push({ label: `${new URL(name, vite).href} (the package in Vite's dev server)`, url: new URL(name, vite) });
  return list;
}

/** What to tell the user when a runtime file cannot be found. */
const RELOCATE_HINT = 'serve the files of node_modules/bertology/dist/ with your app and set env.wasmPaths to their URL ' +
  '(e.g. env.wasmPaths = "/bertology/"); bundlers that follow new URL(…, import.meta.url) (Vite, webpack) do this by themselves';

/** @param {string | null} type */
const isHtmlType = (type) => /\b(text\/html|application\/xhtml)/i.test(type ?? '');

/** @type {Map<string, Promise<{module: WebAssembly.Module, url: string}>>} */
const compiledWasm = new Map();

/**
 * Fetches and compiles a build's .wasm (once per build and JS context), trying each location.
 * @param {Build} build
 */
function compileWasm(build) {
  let pending = compiledWasm.get(build.name);
  if (!pending) {
    pending = fetchAndCompile(build);
    compiledWasm.set(build.name, pending);
    pending.catch(() => compiledWasm.delete(build.name));
  }
  return pending;
}

/** @param {Build} build */
async function fetchAndCompile(build) {
  /** @type {string[]} */
  const tried = [];
  for (const place of locations(build.wasm.name, build.wasm.bundled, wasmUrls[build.name] ?? wasmUrls[build.variant])) {
    let url = place.url;
    if (!url) {
      try {
        url = /** @type {URL} */ (/** @type {() => URL} */ (place.bundled)());
      } catch (e) {
        tried.push(`${place.label}: no URL (${/** @type {Error} */ (e)?.message ?? e}; this bundle format has no import.meta.url)`);
        continue;
      }
    }
    const href = url.href;
    let response;
    try {
      response = await fetch(href, { credentials: 'same-origin' });
    } catch (e) {
      tried.push(`${href}: ${/** @type {Error} */ (e)?.message ?? e}`);
      continue;
    }
    const type = response.headers.get('content-type');
    if (!response.ok || isHtmlType(type)) {
      response.body?.cancel().catch(() => {});
      tried.push(`${href}: ${response.ok ? `an HTML page (content-type ${type}): a fallback page for a missing file` : `HTTP ${response.status}`}`);
      continue;
    }
    try {
      /** @type {WebAssembly.Module} */
      let module;
      if (typeof WebAssembly.compileStreaming === 'function' && (type ?? '').startsWith('application/wasm')) {
        module = await WebAssembly.compileStreaming(response);
      } else {
        // a server without the application/wasm MIME type: compile from bytes
        const bytes = new Uint8Array(await response.arrayBuffer());
        if (bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
          const head = new TextDecoder().decode(bytes.subarray(0, 16)).replace(/\s+/g, ' ');
          tried.push(`${href}: not a wasm file (starts with ${JSON.stringify(head)})`);
          continue;
        }
        module = await WebAssembly.compile(bytes);
      }
      return { module, url: href };
    } catch (e) {
      tried.push(`${href}: ${/** @type {Error} */ (e)?.message ?? e}`);
    }
  }
  throw new BertologyError(`cannot load ${build.wasm.name} (the ${build.name} wasm build): ${tried.join('; ')}. ` +
    `To fix: ${RELOCATE_HINT}`, { code: 'RUNTIME' });
}

/** @typedef {Promise<{module: WebAssembly.Module, url: string}>} CompiledWasm */

/**
 * Instantiates a single-threaded build once its wasm is compiled.
 * @param {Build} build
 * @param {ModuleFactory} factory
 * @param {Record<string, unknown>} settings
 * @param {CompiledWasm} compiled
 * @returns {Promise<EngineModule>}
 */
async function instantiate(build, factory, settings, compiled) {
  /** @type {(e: unknown) => void} */
  let fail = () => {};
  /** @type {Promise<never>} */
  const failed = new Promise((_, reject) => { fail = reject; });
  const options = {
    ...settings,
    instantiateWasm(/** @type {WebAssembly.Imports} */ imports, /** @type {(i: WebAssembly.Instance, m: WebAssembly.Module) => void} */ receive) {
      compiled.then(async ({ module }) => receive(await WebAssembly.instantiate(module, imports), module)).catch(fail);
      return {};
    },
  };
  try {
    const created = factory(options);
    created.catch(() => {}); // settled by the race below; never an unhandled rejection
    return await Promise.race([created, failed]);
  } catch (cause) {
    if (cause instanceof BertologyError) throw cause; // the wasm could not be fetched: its own message
    throw new BertologyError(`cannot instantiate ${build.wasm.name}: ${/** @type {Error} */ (cause)?.message ?? cause}`,
      { code: 'RUNTIME', cause });
  }
}

/** A thread worker could not start (the threaded runtime falls back to the single-threaded one). */
class WorkerStartError extends Error {}

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
async function startThreads(build, factory, settings, compiled) {
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
