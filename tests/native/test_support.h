// Helpers shared by the native tests: where ../shared is, reading files, skipping without it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "models/model.h"

namespace bt::testing {

// BERTOLOGY_SHARED from the environment, else the CMake default (<repo>/../shared).
std::string SharedDir();
bool HaveShared();
std::string SharedPath(const std::string& relative);
// Whole file as bytes/string; empty + ADD_FAILURE when unreadable.
std::string ReadFileOrFail(const std::string& path);
// A model from a folder under ../shared (its reference.safetensors, if any, is not loaded);
// nullptr + ADD_FAILURE when it cannot be read or loaded.
std::unique_ptr<Model> LoadSharedModel(const std::string& relative, const LoadOptions& options = {});
// config.json and model.safetensors of a model folder under ../shared (ADD_FAILURE when unreadable).
FileStore SharedCheckpoint(const std::string& relative);
// The entries of a folder under ../shared, dot files left out, sorted; empty when it is absent.
std::vector<std::string> SharedFolderEntries(const std::string& relative);
// `s` with the first `from` replaced by `to`; ADD_FAILURE when `from` is absent.
std::string Replace(std::string s, const std::string& from, const std::string& to);

// Rewriting a checkpoint's header, for loading-error tests.
namespace safetensors {
// The JSON header of a safetensors file.
std::string Header(const std::string& weights);
// The file with another header, padded with spaces to the old length when shorter (the data stays put).
std::string WithHeader(const std::string& weights, std::string header);
}  // namespace safetensors

}  // namespace bt::testing

// Skips the current test with a clear message when ../shared is absent.
#define BT_REQUIRE_SHARED()                                                                 \
  do {                                                                                      \
    if (!::bt::testing::HaveShared())                                                       \
      GTEST_SKIP() << "shared assets not found at '" << ::bt::testing::SharedDir()          \
                   << "' (set BERTOLOGY_SHARED to the shared/ folder)";                     \
  } while (0)
