#include "reference_tensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "io/safetensors.h"
#include "test_support.h"

namespace bt::testing {

std::map<std::string, ReferenceTensor> ReadReference(const std::string& path) {
  std::map<std::string, ReferenceTensor> out;
  const std::string bytes = ReadFileOrFail(path);
  auto file = SafetensorsFile::Parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path);
  if (!file.ok()) {
    ADD_FAILURE() << file.status().message();
    return out;
  }
  for (const auto& [name, view] : file->tensors()) {
    ReferenceTensor t;
    t.shape = view.shape;
    const int64_t n = view.elements();
    if (view.dtype == DType::kI64) {
      t.i32.resize(n);
      for (int64_t i = 0; i < n; ++i) {
        int64_t v;
        std::memcpy(&v, view.data + 8 * i, 8);
        t.i32[i] = static_cast<int32_t>(v);
      }
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
