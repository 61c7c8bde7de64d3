// --extern-pre-js (emscripten 3.1.6 workaround, see docs/build.md): under Node, the ES6 glue still
// expects CommonJS's `require`, `__filename` and `__dirname`. Defined from import.meta.url through
// process.getBuiltinModule (Node >= 20.16), only when running in Node: no import of a Node built-in and
// no top-level await, so bundlers see nothing Node-specific and browsers are untouched.
var BT_IS_NODE = typeof process === 'object' && typeof process.versions === 'object' &&
  typeof process.versions.node === 'string' && typeof window === 'undefined' &&
  !(typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope);
if (BT_IS_NODE) {
  var require = process.getBuiltinModule('module').createRequire(import.meta.url);
  var __filename = process.getBuiltinModule('url').fileURLToPath(import.meta.url);
  var __dirname = process.getBuiltinModule('path').dirname(__filename);
}
