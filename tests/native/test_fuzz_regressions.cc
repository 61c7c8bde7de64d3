// Replays every input kept in tests/fuzz/regressions/<target>/ (crashes the fuzzers found, now
// fixed) and the seed corpora tests/fuzz/corpus/<target>/ through the fuzz targets' bodies, in
// the normal native build (with ASan/UBSan when BERTOLOGY_SANITIZE is on). A regression that
// comes back kills this test the way it killed the fuzzer. The fuzzers themselves: scripts/fuzz.sh.
//
// The native CMake compiles only tests/native/test_*.cc (+ test_support.cc), so the shared
// entry points are included here rather than listed as a source.
#include "../fuzz/fuzz_entry_points.cc"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "test_support.h"

namespace bt {
namespace {

namespace fs = std::filesystem;

// tests/fuzz/, found from this file's path (CMake passes absolute source paths) or from
// BERTOLOGY_FUZZ_DIR.
fs::path FuzzDir() {
  if (const char* env = std::getenv("BERTOLOGY_FUZZ_DIR"); env != nullptr && *env != '\0') return env;
  return fs::path(__FILE__).parent_path().parent_path() / "fuzz";
}

std::vector<fs::path> InputsIn(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code error;
  if (!fs::is_directory(dir, error)) return files;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || entry.path().extension() == ".md") continue;
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs every file of tests/fuzz/<kind>/<target>/ through its target; returns how many ran.
size_t Replay(const char* kind) {
  size_t count = 0;
  for (const fuzz::FuzzTarget& target : fuzz::AllTargets()) {
    for (const fs::path& file : InputsIn(FuzzDir() / kind / target.name)) {
      SCOPED_TRACE(file.string());
      const std::string bytes = ReadBytes(file);
      EXPECT_EQ(target.entry(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), 0);
      ++count;
    }
  }
  return count;
}

TEST(FuzzRegressions, EveryTargetHasADirectory) {
  ASSERT_TRUE(fs::is_directory(FuzzDir())) << FuzzDir() << " (set BERTOLOGY_FUZZ_DIR to tests/fuzz)";
  for (const fuzz::FuzzTarget& target : fuzz::AllTargets()) {
    EXPECT_TRUE(fs::exists(FuzzDir() / ("fuzz_" + std::string(target.name) + ".cc"))) << target.name;
    EXPECT_FALSE(InputsIn(FuzzDir() / "corpus" / target.name).empty()) << "no seeds for " << target.name;
  }
}

TEST(FuzzRegressions, CrashInputsStayFixed) {
  if (!testing::HaveShared()) std::printf("note: shared assets absent; tokenizer/forward targets use built-ins\n");
  const size_t n = Replay("regressions");
  std::printf("replayed %zu regression input(s)\n", n);
}

TEST(FuzzRegressions, SeedCorporaRun) {
  const size_t n = Replay("corpus");
  EXPECT_GT(n, 0u);
  std::printf("replayed %zu seed input(s)\n", n);
}

}  // namespace
}  // namespace bt
