#include "io/file_store.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <sys/stat.h>

namespace bt {
namespace {

Status CheckRange(uint64_t offset, size_t length, uint64_t size) {
  if (offset > size || length > size - offset) {
    return Status::FileRead("read of " + std::to_string(length) + " bytes at offset " + std::to_string(offset) +
                         " is beyond the end of the file (" + std::to_string(size) + " bytes)");
  }
  return Status::Ok();
}

class MemorySource : public FileSource {
 public:
  explicit MemorySource(Bytes bytes) : bytes_(std::move(bytes)) {}
  uint64_t size() const override { return bytes_.size(); }
  Status Read(uint64_t offset, size_t length, uint8_t* dst) const override {
    BT_RETURN_IF_ERROR(CheckRange(offset, length, bytes_.size()));
    if (length > 0) std::memcpy(dst, bytes_.data() + offset, length);
    return Status::Ok();
  }
  const Bytes* bytes() const override { return &bytes_; }

 private:
  Bytes bytes_;
};

class DiskSource : public FileSource {
 public:
  DiskSource(std::string path, uint64_t size) : path_(std::move(path)), size_(size) {}
  uint64_t size() const override { return size_; }
  Status Read(uint64_t offset, size_t length, uint8_t* dst) const override {
    BT_RETURN_IF_ERROR(CheckRange(offset, length, size_));
    FILE* file = std::fopen(path_.c_str(), "rb");
    if (file == nullptr) return Status::FileNotFound("cannot open '" + path_ + "'");
    const bool ok = std::fseek(file, static_cast<long>(offset), SEEK_SET) == 0 &&
                    std::fread(dst, 1, length, file) == length;
    std::fclose(file);
    return ok ? Status::Ok() : Status::FileRead("short read of '" + path_ + "'");
  }

 private:
  std::string path_;
  uint64_t size_;
};

}  // namespace

Result<Bytes> Bytes::Allocate(size_t size) {
  Bytes bytes;
  bytes.data_ = static_cast<uint8_t*>(std::malloc(size == 0 ? 1 : size));
  if (bytes.data_ == nullptr) {
    return Status::OutOfMemory("out of memory allocating " + std::to_string(size) + " bytes");
  }
  bytes.size_ = size;
  return bytes;
}

Bytes::Bytes(Bytes&& other) noexcept : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

Bytes& Bytes::operator=(Bytes&& other) noexcept {
  if (this != &other) {
    std::free(data_);
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

Bytes::~Bytes() { std::free(data_); }

Result<uint8_t*> FileStore::Allocate(const std::string& name, size_t size) {
  BT_ASSIGN_OR_RETURN(Bytes bytes, Bytes::Allocate(size));
  uint8_t* data = bytes.data();
  files_[name] = std::make_unique<MemorySource>(std::move(bytes));
  return data;
}

Status FileStore::Put(const std::string& name, std::string_view contents) {
  BT_ASSIGN_OR_RETURN(uint8_t * data, Allocate(name, contents.size()));
  if (!contents.empty()) std::memcpy(data, contents.data(), contents.size());
  return Status::Ok();
}

void FileStore::PutSource(const std::string& name, std::unique_ptr<FileSource> source) {
  files_[name] = std::move(source);
}

std::unique_ptr<FileSource> FileStore::Take(const std::string& name) {
  auto it = files_.find(name);
  if (it == files_.end()) return nullptr;
  std::unique_ptr<FileSource> source = std::move(it->second);
  files_.erase(it);
  return source;
}

const FileSource* FileStore::Find(const std::string& name) const {
  auto it = files_.find(name);
  return it == files_.end() ? nullptr : it->second.get();
}

Result<std::string> FileStore::ReadText(const std::string& name) const {
  const FileSource* source = Find(name);
  if (source == nullptr) return Status::FileNotFound("missing " + name);
  if (const Bytes* bytes = source->bytes()) return std::string(bytes->view());
  if (source->size() > (256u << 20)) return Status::Limit(name + ": too large for a text file");
  std::string text(static_cast<size_t>(source->size()), '\0');
  BT_RETURN_IF_ERROR(source->Read(0, text.size(), reinterpret_cast<uint8_t*>(text.data())).WithContext(name));
  return text;
}

std::vector<std::string> FileStore::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, source] : files_) names.push_back(name);
  return names;
}

size_t FileStore::total_bytes() const {
  size_t total = 0;
  for (const auto& [name, source] : files_) total += static_cast<size_t>(source->size());
  return total;
}

Result<FileStore> ReadDirectory(const std::string& dir) {
  DIR* handle = opendir(dir.c_str());
  if (handle == nullptr) return Status::FileNotFound("cannot open model directory '" + dir + "'");
  FileStore store;
  while (dirent* entry = readdir(handle)) {
    std::string path = dir + "/" + entry->d_name;
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    store.PutSource(entry->d_name, std::make_unique<DiskSource>(path, static_cast<uint64_t>(st.st_size)));
  }
  closedir(handle);
  return store;
}

}  // namespace bt
