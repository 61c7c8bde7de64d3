// Embind surface of the engine: FileStore (files written in place into wasm memory or streamed),
// Model (load, tokenize, forward, decode). Failures come back as {error: "..."} objects that the JS
// layer turns into Errors; nothing here throws or aborts, and a failed call leaves the model usable.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>
#include <malloc.h>

#include "core/thread_pool.h"
#include "kernels/gemm_internal.h"
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

// {heap_bytes, in_use_bytes}: the wasm heap and what the allocator has handed out of it, for
// memory accounting (a failed load or a dispose must bring in_use back to its baseline).
std::string HeapStats() {
  const struct mallinfo info = mallinfo();
  const double heap = EM_ASM_DOUBLE({ return wasmMemory.buffer.byteLength; });
  return "{\"heap_bytes\":" + std::to_string(static_cast<int64_t>(heap)) +
         ",\"in_use_bytes\":" + std::to_string(static_cast<int64_t>(info.uordblks)) + "}";
}

// {"simd": "relaxed" | "simd128", "int8": kernel}: which instruction set this build uses and which
// int8 GEMM kernel runs. The relaxed builds time their two on the first call (10-60 ms, once) and keep
// the faster; js/model.js calls it after the first int8 result (dot_add runs until then).
std::string Kernels() {
  const std::string int8 = Q8KernelName();
  const bool relaxed = int8.find("relaxed") != std::string::npos;
  return std::string("{\"simd\":\"") + (relaxed ? "relaxed" : "simd128") + "\",\"int8\":\"" + int8 + "\"}";
}

}  // namespace
}  // namespace bt

EMSCRIPTEN_BINDINGS(bertology) {
  using namespace emscripten;
  function("setNumThreads", &bt::SetThreads);
  function("heapStats", &bt::HeapStats);
  function("kernels", &bt::Kernels);
  class_<bt::JsFileStore>("FileStore")
      .constructor<>()
      .function("allocate", &bt::JsFileStore::allocate)
      .function("addSource", &bt::JsFileStore::addSource)
      .function("has", &bt::JsFileStore::has)
      .function("remove", &bt::JsFileStore::remove)
      .function("totalBytes", &bt::JsFileStore::totalBytes)
      .function("prepareTokenizer", &bt::JsFileStore::prepareTokenizer);
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
      .function("memoryUsage", &bt::JsModel::memoryUsage)
      .function("fillWordEmbeddings", &bt::JsModel::fillWordEmbeddings)
      .function("pendingWordEmbeddings", &bt::JsModel::pendingWordEmbeddings);
}
