#include "test_support.h"

#include <cstdlib>
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

}  // namespace bt::testing
