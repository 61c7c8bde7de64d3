// Embind surface of the engine: FileStore (files written in place into wasm memory or streamed),
// Model (load, tokenize, forward, decode). Failures come back as {error: "..."} objects that the JS
// layer turns into Errors; nothing here throws or aborts, and a failed call leaves the model usable.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>

#include "core/thread_pool.h"
#include "js_file_store.h"
#include "js_model.h"

namespace bt {
namespace {

int MaxThreads() {
#ifdef __EMSCRIPTEN_PTHREADS__
  return EM_ASM_INT({ return Module['numThreads'] > 1 ? Module['numThreads'] : 1; });
#else
  return 1;  // the single-threaded build
#endif
}

int SetThreads(int n) {
  const int threads = n < 1 ? 1 : (n > MaxThreads() ? MaxThreads() : n);
  SetNumThreads(threads);
  return threads;
}

}  // namespace
}  // namespace bt

EMSCRIPTEN_BINDINGS(bertology) {
  using namespace emscripten;
  function("setNumThreads", &bt::SetThreads);
  class_<bt::JsFileStore>("FileStore")
      .constructor<>()
      .function("allocate", &bt::JsFileStore::allocate)
      .function("addSource", &bt::JsFileStore::addSource)
      .function("has", &bt::JsFileStore::has)
      .function("remove", &bt::JsFileStore::remove)
      .function("totalBytes", &bt::JsFileStore::totalBytes);
  class_<bt::JsModel>("Model")
      .constructor<bt::JsFileStore&, std::string>()
      .function("error", &bt::JsModel::error)
      .function("info", &bt::JsModel::info)
      .function("tokenize", &bt::JsModel::tokenize)
      .function("tokenizeWindows", &bt::JsModel::tokenizeWindows)
      .function("forward", &bt::JsModel::forward)
      .function("decode", &bt::JsModel::decode)
      .function("idToToken", &bt::JsModel::idToToken)
      .function("tokenToId", &bt::JsModel::tokenToId)
      .function("memoryUsage", &bt::JsModel::memoryUsage);
}
