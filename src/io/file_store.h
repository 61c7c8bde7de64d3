// FileStore: the named files a model is loaded from (config.json, *.safetensors,
// tokenizer.json, ...). A file is either bytes held in memory (small JSON files, or whole
// files a caller already has) or a reader that copies byte ranges on demand (JS reading a
// file or an ArrayBuffer slice by slice), so weights are streamed tensor by tensor into
// their packed form and never held twice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
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

// Random access to one file's bytes.
class FileSource {
 public:
  virtual ~FileSource() = default;
  virtual uint64_t size() const = 0;
  // Copies [offset, offset + length) into dst; an error when the range is outside the file
  // or the underlying read fails.
  virtual Status Read(uint64_t offset, size_t length, uint8_t* dst) const = 0;
  // The whole file when it is held in memory, else null.
  virtual const Bytes* bytes() const { return nullptr; }
};

class FileStore {
 public:
  // Creates (or replaces) `name` with `size` uninitialised bytes for the caller to fill.
  Result<uint8_t*> Allocate(const std::string& name, size_t size);
  Status Put(const std::string& name, std::string_view contents);
  void PutSource(const std::string& name, std::unique_ptr<FileSource> source);
  bool Has(const std::string& name) const { return files_.count(name) != 0; }
  const FileSource* Find(const std::string& name) const;
  // The whole file as text (read into memory if it is a streamed source); for small JSON files.
  Result<std::string> ReadText(const std::string& name) const;
  void Erase(const std::string& name) { files_.erase(name); }
  // Removes `name` from the store and hands its source to the caller (null when absent).
  std::unique_ptr<FileSource> Take(const std::string& name);
  std::vector<std::string> Names() const;
  size_t total_bytes() const;

 private:
  std::map<std::string, std::unique_ptr<FileSource>> files_;
};

// Native helper: every regular file of `dir` (non-recursive), streamed from disk on demand.
Result<FileStore> ReadDirectory(const std::string& dir);

}  // namespace bt
