// Process-wide settings (model sources, where the runtime's files are), in the spirit of transformers.js's `env`:
//
//   import { env } from 'bertology';
//   env.remoteHost = 'http://127.0.0.1:8080/';     // a mirror of the Hugging Face hub
//   env.allowRemoteModels = false;                 // only local directories / URLs / bytes
//
// Every field can also be given per call in `BertologyModel.load(source, options)`
// (`host`, `revision`, `cache`, `fetch`, `headers`), which wins over `env`.

/**
 * @typedef {object} SourceEnv
 * @property {string} remoteHost where Hugging Face model ids are fetched from
 * @property {string} remotePathTemplate path of a model's files under the host; `{model}` and `{revision}` are replaced
 * @property {string} revision default git revision (branch, tag or commit) of hub models
 * @property {boolean} allowRemoteModels whether model ids may be fetched from `remoteHost`
 * @property {boolean} allowLocalModels (Node) whether a string source may name a local directory
 * @property {boolean | string} cache Cache API storage of downloaded files (browsers): false, true (cache `cacheName`) or a cache name
 * @property {string} cacheName the Cache API cache used by `cache: true`
 * @property {typeof fetch | null} fetch the fetch used for remote files (null: globalThis.fetch)
 * @property {Record<string, string> | null} headers extra request headers (e.g. Authorization)
 * @property {string | URL | null} wasmPaths browsers: where the files of the package's dist/ are served
 *   (a URL prefix, e.g. '/bertology/', relative to the page); null: where the bundler put them
 * @property {boolean} relaxedSimd whether the runtime may use the relaxed-SIMD builds where the JS engine has
 *   relaxed SIMD (Node 22+, Chromium 114+; faster int8, bitwise the same results); false: the SIMD128 builds.
 *   Read when a runtime is created.
 * @property {number} workerTimeout browsers: ms a thread worker may take to start (after the wasm is
 *   compiled) before the runtime falls back to the single-threaded build; also how long
 *   `createWorkerClient` waits for `bertology/worker` to start
 * @property {number} yieldInterval ms a long call (a pipeline's batches, question-answering windows) runs
 *   before it lets the event loop run (default 50; 0: after every forward pass)
 */

/** @type {SourceEnv} */
export const env = {
  remoteHost: 'https://huggingface.co/',
  remotePathTemplate: '{model}/resolve/{revision}/',
  revision: 'main',
  allowRemoteModels: true,
  allowLocalModels: true,
  cache: false,
  cacheName: 'bertology-models',
  fetch: null,
  headers: null,
  wasmPaths: null,
  relaxedSimd: true,
  workerTimeout: 10_000,
  yieldInterval: 50,
};
