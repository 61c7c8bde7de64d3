// Browsers: where a build's files are and how its wasm is fetched, compiled and instantiated.
//
// `env.wasmPaths` (one setting) relocates every file: a URL prefix where the files of dist/ are served.
// Without it, a file that the bundler did not emit (esbuild, plain Rollup) or that a dev server cannot
// find answers 404 / an HTML page; the runtime then tries Vite's dev-server location of the package
// (/node_modules/bertology/dist/, for Vite 6's dependency pre-bundling, which loses relative URLs)
// and otherwise reports which file is missing and how to fix it.

import { BertologyError } from '../errors.js';
import { env } from '../sources/env.js';
import { wasmUrls } from './builds.js';
import { mark } from './host.js';

/** @typedef {import('./builds.js').Build} Build */
/** @typedef {import('./builds.js').ModuleFactory} ModuleFactory */
/** @typedef {import('../runtime.js').EngineModule} EngineModule */

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
export function locations(name, bundled, override) {
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
export const RELOCATE_HINT = 'serve the files of node_modules/bertology/dist/ with your app and set env.wasmPaths to their URL ' +
  '(e.g. env.wasmPaths = "/bertology/"); bundlers that follow new URL(…, import.meta.url) (Vite, webpack) do this by themselves';

/** @param {string | null} type */
const isHtmlType = (type) => /\b(text\/html|application\/xhtml)/i.test(type ?? '');

/** @type {Map<string, Promise<{module: WebAssembly.Module, url: string}>>} */
const compiledWasm = new Map();

/**
 * Fetches and compiles a build's .wasm (once per build and JS context), trying each location.
 * @param {Build} build
 */
export function compileWasm(build) {
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
      mark(`wasm-compiled ${build.wasm.name}`);
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
export async function instantiate(build, factory, settings, compiled) {
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
