// Helpers for the explanation tests: loading models from ../shared, tokenized requests with word
// indices, SST-2 dev sentences, and a finite-difference check of the gradients.
#pragma once

#include <dirent.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "explain/explain.h"
#include "explain/gradient_engine.h"
#include "explain/ridge.h"
#include "models/forward.h"
#include "models/model.h"
#include "test_support.h"

namespace bt::testing {

inline std::vector<std::string> TinyModelNames() {
  std::vector<std::string> names;
  if (DIR* dir = opendir(SharedPath("models/tiny").c_str())) {
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] != '.') names.push_back(e->d_name);
    }
    closedir(dir);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The first `n` SST-2 dev sentences (sentence<TAB>label, with a header line).
inline std::vector<std::string> Sst2Dev(size_t n) {
  std::ifstream in(SharedPath("data/sst2/dev.tsv"));
  std::vector<std::string> out;
  std::string line;
  std::getline(in, line);  // header
  while (out.size() < n && std::getline(in, line)) out.push_back(line.substr(0, line.find('\t')));
  return out;
}

// A request for `text` with words from the tokenizer's word ids (specials -1).
inline ExplainRequest RequestFor(const Model& model, const std::string& text, ExplainMethod method) {
  ExplainRequest r;
  r.method = method;
  auto enc = model.tokenizer()->Encode(text, EncodeOptions{});
  EXPECT_TRUE(enc.ok());
  r.ids = enc->ids;
  r.type_ids = enc->type_ids;
  r.words = enc->word_ids;
  r.baseline_id = model.tokenizer()->pad_id();
  return r;
}

// Signs of the head's ReLU inputs (DistilBERT's pre_classifier) on the target rows: a stencil that
// changes them crosses a kink, where finite differences do not measure the derivative.
inline std::vector<bool> ReluPattern(const ModelParts& parts, const SequenceInput& in, const Target& target,
                                     const float* embeddings) {
  Arena arena;
  const std::vector<int32_t> rows = TargetRows(parts, target, in.seq);
  ForwardSpec spec;
  spec.input = EncoderInput{1, in.seq, in.ids.data(), in.type_ids.empty() ? nullptr : in.type_ids.data(),
                            in.mask.data(), embeddings};
  spec.run_head = true;
  spec.head_rows = RowSelection{rows.data(), static_cast<int32_t>(rows.size())};
  spec.tape = true;
  auto pass = RunForward(parts, spec, arena, DefaultThreadPool());
  EXPECT_TRUE(pass.ok());
  std::vector<bool> signs;
  if (!pass.ok()) return signs;
  const int64_t count = static_cast<int64_t>(rows.size());
  for (size_t i = 0; i < parts.head_program.steps.size(); ++i) {
    const HeadStep& step = parts.head_program.steps[i];
    if (step.activation != Activation::kRelu) continue;
    const float* pre = pass->tape.head.steps[i].pre;
    for (int64_t j = 0; j < count * step.linear->n(); ++j) signs.push_back(pre[j] > 0.0f);
  }
  return signs;
}

struct FiniteDifferenceResult {
  double max_relative = 0.0, median_relative = 0.0, vector_relative = 0.0;
  int checked = 0;
  int kinks = 0;  // coordinates skipped because the stencil crossed a ReLU kink
};

// Central differences (eighth order) of the target on `coordinates` random word-embedding coordinates whose
// analytic gradient is at least `floor` x the largest one, compared with the backward pass.
inline FiniteDifferenceResult CheckFiniteDifferences(const ModelParts& parts, const BackwardWeights& bw,
                                                     const SequenceInput& in, const Target& target, int coordinates,
                                                     const std::vector<double>& steps, uint64_t seed,
                                                     double floor = 5e-2) {
  ThreadPool& pool = DefaultThreadPool();
  Arena arena;
  const int32_t e = parts.encoder.embedding_size;
  std::vector<float> x(static_cast<size_t>(in.seq) * e);
  GatherWordEmbeddings(parts.encoder.embeddings, in.ids.data(), in.seq, x.data());
  std::vector<double> values;
  std::vector<float> grads;
  GradientRequest g{x.data(), 1, 4096};
  EXPECT_TRUE(TargetGradients(parts, arena, &bw, in, target, g, values, &grads, pool).ok());
  double top = 0.0;
  for (float v : grads) top = std::max(top, static_cast<double>(std::fabs(v)));
  std::vector<size_t> candidates;
  for (size_t i = 0; i < grads.size(); ++i) {
    if (std::fabs(grads[i]) >= floor * top) candidates.push_back(i);
  }
  SplitMix64 rng(seed);
  std::vector<size_t> picked;
  for (int k = 0; k < coordinates && !candidates.empty(); ++k) {
    const int32_t j = rng.Below(static_cast<int32_t>(candidates.size()));
    picked.push_back(candidates[j]);
    candidates.erase(candidates.begin() + j);
  }
  // Eighth-order central stencil (x ± h, ±2h, ±3h, ±4h): truncation error O(h⁸), so h can stay
  // large enough for the float32 forward's rounding noise not to dominate; the estimates of the
  // given step sizes are averaged (their rounding noise is independent).
  constexpr int kPoints = 8;
  const double offsets[kPoints] = {1, -1, 2, -2, 3, -3, 4, -4};
  const double weights[kPoints] = {4.0 / 5, -4.0 / 5, -1.0 / 5, 1.0 / 5, 4.0 / 105, -4.0 / 105, -1.0 / 280, 1.0 / 280};
  const size_t per_coordinate = kPoints * steps.size();
  std::vector<float> sets;
  for (size_t i : picked) {
    for (double eps : steps) {
      for (double o : offsets) {
        std::vector<float> p(x);
        p[i] = static_cast<float>(x[i] + o * eps);
        sets.insert(sets.end(), p.begin(), p.end());
      }
    }
  }
  GradientRequest fd{sets.data(), static_cast<int32_t>(per_coordinate * picked.size()), 4096};
  EXPECT_TRUE(TargetGradients(parts, arena, nullptr, in, target, fd, values, nullptr, pool).ok());
  FiniteDifferenceResult r;
  std::vector<double> rel;
  double num = 0.0, den = 0.0;
  const std::vector<bool> pattern = ReluPattern(parts, in, target, x.data());
  for (size_t k = 0; k < picked.size(); ++k) {
    const size_t i = picked[k];
    bool kink = false;
    for (size_t j = 0; j < per_coordinate && !pattern.empty(); ++j) {
      kink = kink || ReluPattern(parts, in, target, sets.data() + (per_coordinate * k + j) * x.size()) != pattern;
    }
    if (kink) {
      ++r.kinks;
      continue;
    }
    double numeric = 0.0;
    for (size_t m = 0; m < steps.size(); ++m) {
      double d = 0.0;
      for (int j = 0; j < kPoints; ++j) d += weights[j] * values[per_coordinate * k + m * kPoints + j];
      numeric += d / steps[m] / static_cast<double>(steps.size());
    }
    const double analytic = grads[i];
    rel.push_back(std::fabs(numeric - analytic) / std::max(std::fabs(numeric), std::fabs(analytic)));
    num += (numeric - analytic) * (numeric - analytic);
    den += analytic * analytic;
  }
  std::sort(rel.begin(), rel.end());
  r.checked = static_cast<int>(rel.size());
  if (!rel.empty()) {
    r.max_relative = rel.back();
    r.median_relative = rel[rel.size() / 2];
    r.vector_relative = std::sqrt(num / den);
  }
  return r;
}

}  // namespace bt::testing
