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

}  // namespace bt::testing
