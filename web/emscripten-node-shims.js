// --extern-pre-js for the ES6 build (emscripten 3.1.6 workaround, see docs/build.md):
// under Node, the ES6 glue still expects CommonJS's `require`, `__filename` and `__dirname`.
// Defined from import.meta.url, and only when running in Node, so browsers are untouched.
var BT_IS_NODE = typeof process === 'object' && typeof process.versions === 'object' &&
  typeof process.versions.node === 'string' && typeof window === 'undefined' &&
  !(typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope);
if (BT_IS_NODE) {
  const { createRequire } = await import('node:module');
  const { fileURLToPath } = await import('node:url');
  const { dirname } = await import('node:path');
  var require = createRequire(import.meta.url);
  var __filename = fileURLToPath(import.meta.url);
  var __dirname = dirname(__filename);
}
