// FileStore: the named byte buffers a model is loaded from (config.json, *.safetensors,
// tokenizer.json, ...). JS fills them in place in wasm memory (no second copy); native code
// fills them from disk. Loading consumes the buffers so weights are not held twice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace bt {

// An owned, malloc'ed byte buffer (no zero-fill: it is about to be overwritten).
class Bytes {
 public:
  Bytes() = default;
  static Result<Bytes> Allocate(size_t size);
  Bytes(Bytes&& other) noexcept;
  Bytes& operator=(Bytes&& other) noexcept;
  Bytes(const Bytes&) = delete;
  Bytes& operator=(const Bytes&) = delete;
  ~Bytes();

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

class FileStore {
 public:
  // Creates (or replaces) `name` with `size` uninitialised bytes for the caller to fill.
  Result<uint8_t*> Allocate(const std::string& name, size_t size);
  Status Put(const std::string& name, std::string_view contents);
  bool Has(const std::string& name) const { return files_.count(name) != 0; }
  const Bytes* Find(const std::string& name) const;
  void Erase(const std::string& name) { files_.erase(name); }
  std::vector<std::string> Names() const;
  size_t total_bytes() const;

 private:
  std::map<std::string, Bytes> files_;
};

// Native helper: reads every regular file of `dir` (non-recursive) into a store.
Result<FileStore> ReadDirectory(const std::string& dir);

}  // namespace bt
