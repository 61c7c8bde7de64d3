// --pre-js (emscripten 3.1.6 workaround, see docs/build.md): the glue calls Node's global
// `fetch` on a file path, which Node 20 rejects. Under Node we hide `fetch` from the glue so it
// reads the .wasm with fs, and we resolve files next to this module.
// `var` is hoisted to the whole glue, so the browser value must be assigned explicitly.
var BT_UNDER_NODE = typeof process === 'object' && !!process.versions && !!process.versions.node &&
  typeof window === 'undefined' && typeof importScripts === 'undefined';
var fetch = BT_UNDER_NODE ? undefined : globalThis.fetch;  // shadows the global inside the glue only
if (BT_UNDER_NODE && !Module['locateFile']) {
  Module['locateFile'] = function (path) { return __dirname + '/' + path; };
}

// loadModel(store, optionsJson?) -> {model} | {error, code, details?}: a failed load is deleted
// here, so it leaves nothing allocated. optionsJson: '{"dtype": "q8"}' loads int8 encoder weights.
Module['loadModel'] = function (store, optionsJson) {
  var model = new Module['Model'](store, optionsJson || '');
  var error = model.error();
  if (error) {
    model.delete();
    return error;
  }
  return { model: model };
};
