#include "reference_tensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "io/safetensors.h"
#include "test_support.h"

namespace bt::testing {

std::map<std::string, ReferenceTensor> ReadReference(const std::string& path) {
  std::map<std::string, ReferenceTensor> out;
  FileStore store;
  EXPECT_TRUE(store.Put("reference", ReadFileOrFail(path)).ok());
  auto file = SafetensorsFile::Parse(*store.Find("reference"), path);
  if (!file.ok()) {
    ADD_FAILURE() << file.status().message();
    return out;
  }
  for (const auto& [name, view] : file->tensors()) {
    ReferenceTensor t;
    t.shape = view.shape;
    const int64_t n = view.elements();
    if (view.dtype == DType::kI64) {
      std::vector<int64_t> wide(n);
      EXPECT_TRUE(view.ReadBytes(reinterpret_cast<uint8_t*>(wide.data())).ok()) << name;
      t.i32.assign(wide.begin(), wide.end());
    } else {
      t.f32.resize(n);
      EXPECT_TRUE(DecodeToFloat32(view, t.f32.data()).ok()) << name;
    }
    out[name] = std::move(t);
  }
  return out;
}

double MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b, const std::string& what) {
  if (a.size() != b.size()) {
    ADD_FAILURE() << what << ": size " << a.size() << " vs reference " << b.size();
    return INFINITY;
  }
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::fabs(static_cast<double>(a[i]) - b[i]);
    if (!(d <= worst)) worst = d;  // NaN propagates as a failure
  }
  return worst;
}

}  // namespace bt::testing
