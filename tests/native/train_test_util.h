// Shared by the trainer's tests (test_train.cc, test_train_dropout.cc): a small batch, the options JSON,
// and the finite-difference gradient check of every trainable tensor.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "train/loss.h"
#include "train/trainer.h"

namespace bt {
namespace train_test {

struct Batch {
  int32_t batch = 3, seq = 10;
  std::vector<int32_t> ids, types, mask, labels;
  TrainBatch view() const {
    return TrainBatch{batch, seq, ids.data(), types.empty() ? nullptr : types.data(), mask.data(), labels.data()};
  }
};

// Ids < 1000 (the tiny vocabulary), row 2 padded from position 7, token types 1 from position 6.
inline Batch MakeBatch(bool token, int32_t labels, bool types, uint64_t seed = 7) {
  Batch b;
  TrainRng rng(seed);
  const int32_t m = b.batch * b.seq;
  for (int32_t i = 0; i < m; ++i) {
    b.ids.push_back(5 + static_cast<int32_t>(rng.Next() % 990));
    b.mask.push_back(i / b.seq == 2 && i % b.seq >= 7 ? 0 : 1);
    if (types) b.types.push_back(i % b.seq >= 6 ? 1 : 0);
  }
  for (int32_t i = 0; i < (token ? m : b.batch); ++i) b.labels.push_back(static_cast<int32_t>(rng.Next() % labels));
  if (token) {
    b.labels[0] = kIgnoreLabel;          // [CLS]
    b.labels[2 * b.seq + 8] = kIgnoreLabel;  // a padded position
  }
  return b;
}

// A large head initialisation for the gradient checks: larger gradients everywhere, far above float32's
// rounding of the loss.
inline std::string Options(const std::string& task, int layers, bool embeddings, const std::string& extra = "",
                    const std::string& init = "0.02") {
  return "{\"task\":\"" + task + "\",\"num_labels\":3,\"layers\":" + std::to_string(layers) +
         ",\"embeddings\":" + (embeddings ? "true" : "false") + extra +
         ",\"optimizer\":{\"lr\":1e-3,\"total_steps\":10},\"seed\":3,\"initializer_range\":" + init + "}";
}

inline std::unique_ptr<Trainer> MakeTrainer(Model* model, const std::string& json) {
  auto o = ParseTrainerOptions(json);
  EXPECT_TRUE(o.ok()) << o.status().message();
  if (!o.ok()) return nullptr;
  auto t = Trainer::Create(model, o.value());
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? std::move(t.value()) : nullptr;
}

struct CheckStats {
  int tensors = 0, components = 0, skipped = 0;
  double worst = 0;
  std::string worst_name;
};

// For every trainable tensor: its largest gradient components against central differences of the
// loss (step h and h/2; a pair that disagrees crossed a kink — DistilBERT's ReLU — and is skipped).
inline void CheckGradients(Trainer& t, const std::function<double()>& loss, CheckStats& stats, int per_tensor = 16,
                    double step = 0.1) {
  std::map<std::string, std::vector<float>> grads;
  const double base = loss();
  (void)base;
  for (const ParameterInfo& p : t.Parameters()) {
    auto g = t.Gradient(p.name);
    ASSERT_TRUE(g.ok());
    grads[p.name] = g.value();
  }
  double global = 0;
  for (const auto& [name, g] : grads) {
    for (float x : g) global = std::max(global, std::fabs(static_cast<double>(x)));
  }
  for (const ParameterInfo& p : t.Parameters()) {
    const std::vector<float>& g = grads[p.name];
    double largest = 0;
    for (float x : g) largest = std::max(largest, std::fabs(static_cast<double>(x)));
    if (largest < 1e-6 * global) {
      // A gradient that is 0 in exact arithmetic (the key bias: softmax ignores a shift shared by every
      // key): finite differences must see nothing either.
      const float w0 = t.GetValue(p.name, 0).value();
      EXPECT_TRUE(t.SetValue(p.name, 0, w0 + 0.01f).ok());
      const double up = loss();
      EXPECT_TRUE(t.SetValue(p.name, 0, w0 - 0.01f).ok());
      const double down = loss();
      EXPECT_TRUE(t.SetValue(p.name, 0, w0).ok());
      EXPECT_LE(std::fabs(up - down) / 0.02, 1e-3 * global) << p.name << ": expected a zero gradient";
      ++stats.tensors;
      continue;
    }
    // The largest components, moved together along their gradient (u_i = g_i / max|g|): the change of
    // the loss is ~k times one component's, well above float32's rounding of the loss.
    std::vector<int64_t> order(g.size());
    for (size_t i = 0; i < g.size(); ++i) order[i] = static_cast<int64_t>(i);
    const size_t k = std::min<size_t>(order.size(), per_tensor);
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int64_t a, int64_t b) { return std::fabs(g[a]) > std::fabs(g[b]); });
    ++stats.tensors;
    int checked = 0;
    std::vector<float> w0(k);
    std::vector<double> u(k);
    double an = 0;
    for (size_t j = 0; j < k; ++j) {
      w0[j] = t.GetValue(p.name, order[j]).value();
      u[j] = g[order[j]] / largest;
      an += g[order[j]] * u[j];
    }
    auto move = [&](double h) {
      for (size_t j = 0; j < k; ++j) EXPECT_TRUE(t.SetValue(p.name, order[j], static_cast<float>(w0[j] + h * u[j])).ok());
      return loss();
    };
    auto fd = [&](double h) {
      const double d = (move(h) - move(-h)) / (2 * h);
      move(0);
      return d;
    };
    // A step that changes the loss by ~3e-2 at most: far above rounding, small for curvature.
    const double h = std::min(step, 3e-2 / an);
    const double f1 = fd(h), f2 = fd(h / 2);
    if (std::fabs(f1 - f2) > 0.1 * std::fabs(f2) + 1e-6) {
      ++stats.skipped;  // crossed a kink (a ReLU): not a derivative
    } else {
      const double richardson = (4 * f2 - f1) / 3;
      const double rel = std::fabs(richardson - an) / std::fabs(an);
      EXPECT_LE(rel, 1e-3) << p.name << " (" << k << " largest) analytic " << an << " finite differences " << richardson;
      if (rel > stats.worst) {
        stats.worst = rel;
        stats.worst_name = p.name;
      }
      stats.components += static_cast<int>(k);
      ++checked;
    }
    if (checked == 0) std::printf("  %s: skipped (kink)\n", p.name.c_str());
  }
}

inline double BatchLoss(Trainer& t, const Batch& b) {
  auto r = t.LossAndGrads(b.view());
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r->loss : NAN;
}

inline void Report(const std::string& what, const CheckStats& s) {
  std::printf("[gradients] %-58s %3d tensors %4d components, worst rel. error %.2e (%s), %d skipped at a kink\n",
              what.c_str(), s.tensors, s.components, s.worst, s.worst_name.c_str(), s.skipped);
}

// One finite-difference case: a tiny model, the task, what trains, extra options JSON.
struct Case {
  const char* model;
  const char* task;
  int layers;
  bool embeddings;
  const char* extra;
};

// LoRA's B starts at 0 (so A's gradient is 0): give B values first.
inline void RandomLoraB(Trainer& t) {
  TrainRng rng(11);
  for (const ParameterInfo& p : t.Parameters()) {
    if (p.name.find("lora_B") == std::string::npos) continue;
    for (int64_t i = 0; i < p.shape[0] * p.shape[1]; ++i) {
      ASSERT_TRUE(t.SetValue(p.name, i, static_cast<float>(rng.Normal() * 0.3)).ok());
    }
  }
}

inline std::string CaseName(const Case& c) {
  return std::string(c.model) + " " + c.task + " layers " + std::to_string(c.layers) + (c.embeddings ? " +emb" : "") + c.extra;
}

}  // namespace train_test
}  // namespace bt
