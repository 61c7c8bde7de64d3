// JsFileStore: the FileStore a JS caller fills — small files written in place into wasm memory,
// large ones streamed through a JS reader while the model loads.
#pragma once

#include <emscripten/val.h>

#include <memory>
#include <optional>
#include <string>

#include "io/file_store.h"
#include "js_values.h"
#include "models/model.h"

namespace bt {

// A file read on demand by a JS function reader(offset, length, view) that copies the bytes
// into `view` (a Uint8Array over wasm memory) and returns how many it copied. The reader must
// not throw: a JS exception would unwind through wasm frames without running destructors.
class JsSource : public FileSource {
 public:
  JsSource(double size, val reader) : size_(static_cast<uint64_t>(size)), reader_(std::move(reader)) {}
  uint64_t size() const override { return size_; }
  Status Read(uint64_t offset, size_t length, uint8_t* dst) const override {
    if (offset > size_ || length > size_ - offset) return Status::FileRead("read beyond the end of the file");
    const double copied = reader_(static_cast<double>(offset), static_cast<double>(length),
                                  val(emscripten::typed_memory_view(length, dst)))
                              .as<double>();
    if (copied != static_cast<double>(length)) {
      return Status::FileRead("short read: " + std::to_string(static_cast<int64_t>(copied)) + " of " +
                           std::to_string(length) + " bytes at offset " + std::to_string(offset));
    }
    return Status::Ok();
  }

 private:
  uint64_t size_;
  val reader_;
};

class JsFileStore {
 public:
  // A Uint8Array view of `size` fresh bytes inside wasm memory; fill it before the next allocation.
  val allocate(const std::string& name, double size) {
    if (!(size >= 0) || size > 4294967295.0) return ErrorObject(Status::InvalidArgument("FileStore: invalid size for '" + name + "'"));
    Changed(name);
    Result<uint8_t*> data = store_.Allocate(name, static_cast<size_t>(size));
    if (!data.ok()) return ErrorObject(data.status().WithContext(name));
    return val(emscripten::typed_memory_view(static_cast<size_t>(size), data.value()));
  }
  // Registers `name` as streamed: its bytes are pulled through `reader` while the model loads.
  void addSource(const std::string& name, double size, val reader) {
    Changed(name);
    store_.PutSource(name, std::make_unique<JsSource>(size, std::move(reader)));
  }
  bool has(const std::string& name) const { return store_.Has(name); }
  void remove(const std::string& name) {
    Changed(name);
    store_.Erase(name);
  }
  double totalBytes() const { return static_cast<double>(store_.total_bytes()); }
  // Builds the tokenizer from the files there now (config.json and the tokenizer files), as loadModel
  // would, so that it is built while the weights still download; loadModel then takes it (or its
  // error, reported where loadModel reports it). Changing those files afterwards drops it.
  void prepareTokenizer() { tokenizer_.emplace(Model::LoadTokenizer(store_)); }
  // The prepared tokenizer (Model::Load takes it), or null.
  Result<std::unique_ptr<Tokenizer>>* prepared_tokenizer() { return tokenizer_ ? &*tokenizer_ : nullptr; }
  FileStore& store() { return store_; }

 private:
  FileStore store_;
  std::optional<Result<std::unique_ptr<Tokenizer>>> tokenizer_;

  void Changed(const std::string& name) {
    for (const char* file : {"config.json", "tokenizer.json", "tokenizer_config.json", "spiece.model", "vocab.json", "merges.txt"}) {
      if (name == file) tokenizer_.reset();
    }
  }
};

}  // namespace bt
