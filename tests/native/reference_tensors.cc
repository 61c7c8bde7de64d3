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

ForwardRequest ReferenceRequest(const std::map<std::string, ReferenceTensor>& ref) {
  ForwardRequest request;
  const auto ids = ref.find("input_ids");
  const auto mask = ref.find("attention_mask");
  const auto types = ref.find("token_type_ids");
  if (ids == ref.end() || mask == ref.end() || ids->second.shape.size() != 2) {
    ADD_FAILURE() << "reference without 2-D input_ids and attention_mask";
    return request;
  }
  request.batch = static_cast<int32_t>(ids->second.shape[0]);
  request.seq = static_cast<int32_t>(ids->second.shape[1]);
  request.ids = ids->second.i32;
  request.mask = mask->second.i32;
  if (types != ref.end()) request.type_ids = types->second.i32;
  const auto tasks = ref.find("task_type_ids");  // ERNIE with use_task_id
  if (tasks != ref.end()) request.task_type_ids = tasks->second.i32;
  return request;
}

}  // namespace bt::testing
