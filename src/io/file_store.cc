#include "io/file_store.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <sys/stat.h>

namespace bt {

Result<Bytes> Bytes::Allocate(size_t size) {
  Bytes bytes;
  bytes.data_ = static_cast<uint8_t*>(std::malloc(size == 0 ? 1 : size));
  if (bytes.data_ == nullptr) {
    return Status::Error("out of memory allocating " + std::to_string(size) + " bytes");
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
  files_[name] = std::move(bytes);
  return data;
}

Status FileStore::Put(const std::string& name, std::string_view contents) {
  BT_ASSIGN_OR_RETURN(uint8_t * data, Allocate(name, contents.size()));
  if (!contents.empty()) std::memcpy(data, contents.data(), contents.size());
  return Status::Ok();
}

const Bytes* FileStore::Find(const std::string& name) const {
  auto it = files_.find(name);
  return it == files_.end() ? nullptr : &it->second;
}

std::vector<std::string> FileStore::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, bytes] : files_) names.push_back(name);
  return names;
}

size_t FileStore::total_bytes() const {
  size_t total = 0;
  for (const auto& [name, bytes] : files_) total += bytes.size();
  return total;
}

Result<FileStore> ReadDirectory(const std::string& dir) {
  DIR* handle = opendir(dir.c_str());
  if (handle == nullptr) return Status::Error("cannot open model directory '" + dir + "'");
  FileStore store;
  Status status;
  while (dirent* entry = readdir(handle)) {
    std::string path = dir + "/" + entry->d_name;
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) {
      status = Status::Error("cannot read '" + path + "'");
      break;
    }
    Result<uint8_t*> data = store.Allocate(entry->d_name, static_cast<size_t>(st.st_size));
    size_t read = data.ok() ? std::fread(data.value(), 1, static_cast<size_t>(st.st_size), file) : 0;
    std::fclose(file);
    if (!data.ok() || read != static_cast<size_t>(st.st_size)) {
      status = data.ok() ? Status::Error("short read of '" + path + "'") : data.status().WithContext(path);
      break;
    }
  }
  closedir(handle);
  if (!status.ok()) return status;
  return store;
}

}  // namespace bt
