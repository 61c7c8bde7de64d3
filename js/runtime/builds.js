// The wasm builds the package ships (dist/, made by CMakeLists.txt + web/postlink.mjs), with every
// file the runtime fetches for each — the one table bundlers see (docs/build.md, "Bundlers"):
//   threads          bertology.mjs    + .wasm + bertology.worker.mjs (browsers) / .worker.js (Node)
//                    pthreads; needs SharedArrayBuffer: Node, or a cross-origin-isolated browser context
//   single           bertology-st.mjs + .wasm     runs anywhere
//   threads-relaxed, single-relaxed: bertology-relaxed.* and bertology-st-relaxed.*, the same with
//                    relaxed-SIMD int8 kernels (docs/kernels.md); only where relaxed SIMD validates
//                    (Node 22+, Chromium 114+; js/simd-features.js). Results are bitwise those of the
//                    SIMD128 builds.
// The glue modules are imported statically (bundlers bundle them; no dynamic import(), which Vite's
// default `iife` worker format cannot split), the wasm and the pthread worker through
// `new URL('../../dist/…', import.meta.url)` / `new Worker(new URL(…), {type: 'module'})`, which
// bundlers follow and emit. setModuleImporter / setWasmUrls override a build's glue or wasm URL.

import { BertologyError } from '../errors.js';
import { env } from '../sources/env.js';
import { relaxedSimdSupported } from '../simd-features.js';
import createThreadsModule from '../../dist/bertology.mjs';
import createSingleModule from '../../dist/bertology-st.mjs';
import createThreadsRelaxedModule from '../../dist/bertology-relaxed.mjs';
import createSingleRelaxedModule from '../../dist/bertology-st-relaxed.mjs';

/** @typedef {import('../runtime.js').EngineModule} EngineModule */

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
    wasm: { name: 'bertology-relaxed.wasm', bundled: () => new URL('../../dist/bertology-relaxed.wasm', import.meta.url) },
    worker: {
      name: 'bertology-relaxed.worker.mjs',
      bundled: () => new Worker(new URL('../../dist/bertology-relaxed.worker.mjs', import.meta.url), { type: 'module' }),
    },
  },
  {
    name: 'threads', variant: 'threads', factory: /** @type {ModuleFactory} */ (createThreadsModule), glue: 'bertology.mjs',
    wasm: { name: 'bertology.wasm', bundled: () => new URL('../../dist/bertology.wasm', import.meta.url) },
    worker: {
      name: 'bertology.worker.mjs',
      bundled: () => new Worker(new URL('../../dist/bertology.worker.mjs', import.meta.url), { type: 'module' }),
    },
  },
  {
    name: 'single-relaxed', variant: 'single', factory: /** @type {ModuleFactory} */ (createSingleRelaxedModule),
    glue: 'bertology-st-relaxed.mjs', supported: useRelaxedSimd,
    wasm: { name: 'bertology-st-relaxed.wasm', bundled: () => new URL('../../dist/bertology-st-relaxed.wasm', import.meta.url) },
  },
  {
    name: 'single', variant: 'single', factory: /** @type {ModuleFactory} */ (createSingleModule), glue: 'bertology-st.mjs',
    wasm: { name: 'bertology-st.wasm', bundled: () => new URL('../../dist/bertology-st.wasm', import.meta.url) },
  },
];

/** @typedef {() => Promise<{default: (opts: object) => Promise<unknown>}>} ModuleImporter */

/** @type {Partial<Record<string, ModuleImporter>>} overrides of a build's glue (setModuleImporter) */
const importers = {};
/** @type {Partial<Record<string, URL | string | null>>} overrides of a build's wasm URL (setWasmUrls) */
export const wasmUrls = {};

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

/**
 * The builds of `variant` that can run here, best first.
 * @param {RuntimeVariant} variant
 * @returns {Build[]}
 */
export function candidateBuilds(variant) {
  const builds = BUILDS.filter((b) => b.variant === variant && (b.supported?.() ?? true));
  if (builds.length === 0) throw new BertologyError(`no ${variant} wasm build can run here`, { code: 'RUNTIME' });
  return builds;
}

/**
 * The module factory of `build`: its glue, or what setModuleImporter put in its place.
 * @param {Build} build
 * @returns {Promise<ModuleFactory>}
 */
export async function buildFactory(build) {
  const importer = importers[build.name] ?? importers[build.variant];
  if (!importer) return build.factory;
  try {
    return /** @type {ModuleFactory} */ ((await importer()).default);
  } catch (cause) {
    throw new BertologyError(`cannot load the wasm module ${build.glue}: ${/** @type {Error} */ (cause)?.message ?? cause}`,
      { code: 'RUNTIME', cause });
  }
}
