#include "test_support.h"

#include <dirent.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace bt::testing {

std::string SharedDir() {
  const char* env = std::getenv("BERTOLOGY_SHARED");
  if (env != nullptr && *env != '\0') return env;
  return BERTOLOGY_SHARED_DEFAULT;
}

bool HaveShared() {
  struct stat st {};
  return stat((SharedDir() + "/README.md").c_str(), &st) == 0;
}

std::string SharedPath(const std::string& relative) { return SharedDir() + "/" + relative; }

std::string ReadFileOrFail(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return {};
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::unique_ptr<Model> LoadSharedModel(const std::string& relative, const LoadOptions& options) {
  auto files = ReadDirectory(SharedPath(relative));
  if (!files.ok()) {
    ADD_FAILURE() << files.status().message();
    return nullptr;
  }
  files->Erase("reference.safetensors");
  auto model = Model::Load(files.value(), options);
  if (!model.ok()) {
    ADD_FAILURE() << relative << ": " << model.status().message();
    return nullptr;
  }
  return std::move(model).value();
}

FileStore SharedCheckpoint(const std::string& relative) {
  FileStore store;
  for (const char* name : {"config.json", "model.safetensors"}) {
    EXPECT_TRUE(store.Put(name, ReadFileOrFail(SharedPath(relative + "/" + name))).ok()) << relative << "/" << name;
  }
  return store;
}

std::vector<std::string> SharedFolderEntries(const std::string& relative) {
  std::vector<std::string> names;
  if (DIR* dir = opendir(SharedPath(relative).c_str())) {
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] != '.') names.push_back(e->d_name);
    }
    closedir(dir);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

namespace safetensors {

std::string Header(const std::string& weights) {
  uint64_t n = 0;
  std::memcpy(&n, weights.data(), 8);
  return weights.substr(8, n);
}

std::string WithHeader(const std::string& weights, std::string header) {
  const std::string old = Header(weights);
  if (header.size() < old.size()) header.append(old.size() - header.size(), ' ');
  uint64_t n = header.size();
  std::string out(reinterpret_cast<const char*>(&n), 8);
  return out + header + weights.substr(8 + old.size());
}

}  // namespace safetensors

}  // namespace bt::testing
