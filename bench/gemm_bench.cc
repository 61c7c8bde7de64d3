// GEMM micro-benchmark (not a test): GFLOP/s of LinearForward on BERT-base shapes.
// Native: g++ -O3 -std=c++20 -Isrc bench/gemm_bench.cc src/kernels/*.cc src/core/thread_pool.cc -pthread -o /tmp/gemm_bench
// Wasm:   cmake --build build/wasm --target gemm_bench_simd128 gemm_bench_relaxed (build/wasm/bench/*.js; bench/run.mjs does it)
// Run from the repository root. Prints best-of-N GFLOP/s for f32 and int8 weights, 1 and 2 threads,
// then each microkernel alone on L1-resident data (one 4-row tile × 8 panels, no driver, no packing,
// no epilogue): the ceiling LinearForward and a whole model can approach on this engine.
// With --layers [threads]: one fp32 encoder layer's operations as the forward calls them (QKV,
// attention, output projection + residual, LayerNorm, FFN in + GELU, FFN out + residual, LayerNorm),
// each timed alone at 128 rows, for the MiniLM-L6 (384/12/1536) and DistilBERT (768/12/3072)
// geometries, plus the 4x8 microkernel alone at each GEMM's K: best and median of interleaved rounds.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/activation.h"
#include "kernels/attention.h"
#include "kernels/gemm.h"
#include "kernels/gemm_internal.h"
#include "kernels/gemm_q8.h"
#include "kernels/norm.h"
#include "kernels/vmath.h"

namespace {

double BestSeconds(const bt::PackedLinear& w, const float* x, int m, float* y, int reps) {
  double best = 1e30;
  // The activations' packing scratch, owned by the caller as a model's arena owns it.
  const size_t bytes = bt::LinearScratchBytes(w, m);
  std::vector<double> scratch((bytes + sizeof(double) - 1) / sizeof(double) + 8);
  void* aligned = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(scratch.data()) + 63) & ~uintptr_t{63});
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    bt::LinearForward(w, x, m, bt::Activation::kNone, nullptr, y, bt::DefaultThreadPool(), nullptr, {aligned, bytes});
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s < best) best = s;
  }
  return best;
}

// One microkernel call sweeps a 4 x kc tile across 8 panels (64 columns); all operands fit in L1.
template <class Call>
void MicrokernelRate(const char* name, int kc, Call call) {
  const int nc = 64, calls = 4000000 / kc;
  double best = 1e30;
  for (int r = 0; r < 7; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < calls; ++i) call();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s < best) best = s;
  }
  std::printf("%s M=%d K=%d N=%-4d threads=1: %7.1f GFLOP/s (microkernel alone, L1-resident)\n", name, bt::kGemmMR,
              kc, nc, 2.0 * bt::kGemmMR * nc * kc * calls / best * 1e-9);
}

void MicrokernelRates() {
  const int kc = 256, nc = 64, panels = nc / bt::kGemmNR;
  const size_t f32_stride = bt::kGemmNR + static_cast<size_t>(bt::kGemmNR) * kc;
  std::vector<float> a(static_cast<size_t>(bt::kGemmMR) * kc, 0.5f), w(f32_stride * panels, 0.25f),
      c(static_cast<size_t>(bt::kGemmMR) * nc, 0.0f);
  const bt::F32PpmmUkernelFn f32 = bt::BestF32PpmmUkernel();
  MicrokernelRate("f32-ukernel", kc, [&] {
    f32(bt::kGemmMR, nc, kc, a.data(), w.data() + bt::kGemmNR, f32_stride, c.data(), nc);
  });
  // int8: the kernel of this build's layout (c2: int16 activation pairs; c4: int8 activation quads).
  const bt::Q8Gemm& gemm = bt::BestQ8Gemm();
  const size_t groups = kc / gemm.kr, q8_stride = bt::PackedLinearQ8::kHeaderBytes + bt::kGemmNR * kc;
  std::vector<int16_t> qa(static_cast<size_t>(bt::kGemmMR) * kc, 3);
  std::vector<int8_t> qw(q8_stride * panels, 2);
  std::vector<int32_t> qc(static_cast<size_t>(bt::kGemmMR) * nc);
  const int8_t* weights = qw.data() + bt::PackedLinearQ8::kHeaderBytes;
  const std::string name = std::string("q8-ukernel (") + bt::Q8KernelName() + ")";
  MicrokernelRate(name.c_str(), kc, [&] {
    if (gemm.kr == 2) {
      gemm.c2(nc, groups, qa.data(), weights, q8_stride, qc.data(), nc);
    } else {
      gemm.c4.load(std::memory_order_relaxed)(nc, groups, reinterpret_cast<const int8_t*>(qa.data()), weights, q8_stride,
                                              qc.data(), nc);
    }
  });
}


// ---- --layers: one encoder layer's fp32 operations, each alone ----
struct Op {
  std::string name;
  double flops;  // counted multiply-adds x 2 (0: element-wise)
  std::function<void()> run;
  std::vector<double> ms;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void LayerBreakdown(const char* label, int m, int h, int heads, int inter, int threads, int rounds) {
  bt::SetNumThreads(threads);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  auto fill = [&](std::vector<float>& v, float scale) {
    for (float& x : v) x = dist(rng) * scale;
  };
  std::vector<float> x(static_cast<size_t>(m) * h), wqkv(3ull * h * h), bqkv(3 * h), wo(1ull * h * h), bo(h),
      wi(1ull * inter * h), bi(inter), wf(1ull * h * inter), bf(h), gamma(h, 1.0f), beta(h, 0.0f);
  fill(x, 1.0f), fill(wqkv, 0.05f), fill(bqkv, 0.1f), fill(wo, 0.05f), fill(bo, 0.1f), fill(wi, 0.05f);
  fill(bi, 0.1f), fill(wf, 0.05f), fill(bf, 0.1f);
  const auto qkv_w = bt::PackLinearF32(wqkv.data(), bqkv.data(), 3 * h, h);
  const auto o_w = bt::PackLinearF32(wo.data(), bo.data(), h, h);
  const auto i_w = bt::PackLinearF32(wi.data(), bi.data(), inter, h);
  const auto f_w = bt::PackLinearF32(wf.data(), bf.data(), h, inter);
  std::vector<float> qkv(static_cast<size_t>(m) * 3 * h), ctx(static_cast<size_t>(m) * h), out(ctx.size()),
      act(static_cast<size_t>(m) * inter), ffn(ctx.size()), ln(ctx.size());
  std::vector<int32_t> mask(m, 1);
  const bt::AttentionShape shape{1, m, heads, h / heads, 3 * h, 3 * h, 3 * h};
  std::vector<float> att_scratch(static_cast<size_t>(bt::AttentionScratchFloats(shape, bt::DefaultThreadPool())) + 64);
  const size_t scratch_bytes = std::max({bt::LinearScratchBytes(*qkv_w, m), bt::LinearScratchBytes(*f_w, m)});
  std::vector<double> scratch_mem(scratch_bytes / sizeof(double) + 16);
  void* scratch_ptr = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(scratch_mem.data()) + 63) & ~uintptr_t{63});
  const bt::LinearScratch scratch{scratch_ptr, scratch_bytes};
  bt::ThreadPool& pool = bt::DefaultThreadPool();
  const float scale = 1.0f / std::sqrt(static_cast<float>(h / heads));
  // Realistic inputs for every op: run the layer once in order first.
  bt::LinearForward(*qkv_w, x.data(), m, bt::Activation::kNone, nullptr, qkv.data(), pool, nullptr, scratch);
  const double mm = m;
  std::vector<Op> ops;
  ops.push_back({"qkv", 2 * mm * 3 * h * h, [&] {
    bt::LinearForward(*qkv_w, x.data(), m, bt::Activation::kNone, nullptr, qkv.data(), pool, nullptr, scratch); }, {}});
  ops.push_back({"attention", 4 * mm * m * h, [&] {
    bt::MultiHeadAttention(shape, qkv.data(), qkv.data() + h, qkv.data() + 2 * h, mask.data(), scale, ctx.data(), nullptr,
                           att_scratch.data(), pool); }, {}});
  ops.push_back({"out+res", 2 * mm * h * h, [&] {
    bt::LinearForward(*o_w, ctx.data(), m, bt::Activation::kNone, x.data(), out.data(), pool, nullptr, scratch); }, {}});
  ops.push_back({"layernorm", 0, [&] {
    std::memcpy(ln.data(), out.data(), sizeof(float) * ln.size());
    bt::LayerNorm(ln.data(), m, h, gamma.data(), beta.data(), 1e-12f, pool); }, {}});
  ops.push_back({"ffn_in+gelu", 2 * mm * h * inter, [&] {
    bt::LinearForward(*i_w, ln.data(), m, bt::Activation::kGeluErf, nullptr, act.data(), pool, nullptr, scratch); }, {}});
  ops.push_back({"ffn_in", 2 * mm * h * inter, [&] {
    bt::LinearForward(*i_w, ln.data(), m, bt::Activation::kNone, nullptr, act.data(), pool, nullptr, scratch); }, {}});
  // GELU on two sets of pre-activations: this layer's (random weights like the geometry models':
  // almost no value needs the erfc form) and N(0, 1) values (trained models: ~10 % of them do).
  std::vector<float> pre_layer(act.size()), pre_normal(act.size());
  bt::LinearForward(*i_w, ln.data(), m, bt::Activation::kNone, nullptr, pre_layer.data(), pool, nullptr, scratch);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& v : pre_normal) v = normal(rng);
  for (const auto* pre : {&pre_layer, &pre_normal}) {
    size_t tail = 0, groups = 0;
    for (size_t i = 0; i < pre->size(); i += 4) {
      bool any = false;
      for (size_t l = 0; l < 4; ++l) tail += (*pre)[i + l] < -1.2374369f, any |= (*pre)[i + l] < -1.2374369f;
      groups += any;
    }
    const char* which = pre == &pre_layer ? "layer" : "N(0,1)";
    std::printf("%s: GELU inputs (%s) needing the erfc form: %.2f %% of values, %.2f %% of groups of four\n", label, which,
                100.0 * tail / pre->size(), 400.0 * groups / pre->size());
    ops.push_back({std::string("gelu ") + which, 0, [&act, pre] {
      std::memcpy(act.data(), pre->data(), sizeof(float) * pre->size());
      bt::ApplyActivation(bt::Activation::kGeluErf, act.data(), static_cast<int64_t>(act.size())); }, {}});
  }
  ops.push_back({"copy (in the gelu rows)", 0, [&] { std::memcpy(act.data(), pre_layer.data(), sizeof(float) * act.size()); }, {}});
  // The attention's fused softmax + packing alone: one head's 128 x seq scores, 4 rows at a time.
  // (Its cost does not depend on the values: later runs work on the exponentials the first left.)
  std::vector<float> scores(static_cast<size_t>(m) * ((m + 7) / 8 * 8)), packed(4 * static_cast<size_t>(m));
  for (float& v : scores) v = normal(rng) * 3.0f;
  ops.push_back({"softmax x heads", 0, [&, heads] {
    const size_t stride = (m + 7) / 8 * 8;
    float inv[4];
    for (int hh = 0; hh < heads; ++hh) {
      for (int r = 0; r < m; r += 4) bt::ScaledSoftmaxPack4(4, m, scale, scores.data() + r * stride, stride, packed.data(), inv);
    }
  }, {}});
  ops.push_back({"ffn_out+res", 2 * mm * h * inter, [&] {
    bt::LinearForward(*f_w, act.data(), m, bt::Activation::kNone, ln.data(), ffn.data(), pool, nullptr, scratch); }, {}});
  // The 4x8 microkernel alone at each GEMM's K over one unit's 8 panels (no packing, no epilogue).
  const bt::F32PpmmUkernelFn uk = bt::BestF32PpmmUkernel();
  for (int kc : {h, inter, h / heads, m}) {
    const size_t stride = bt::kGemmNR + static_cast<size_t>(bt::kGemmNR) * kc;
    auto a = std::make_shared<std::vector<float>>(static_cast<size_t>(bt::kGemmMR) * kc, 0.5f);
    auto w = std::make_shared<std::vector<float>>(stride * 8, 0.25f);
    auto c = std::make_shared<std::vector<float>>(static_cast<size_t>(bt::kGemmMR) * 64, 0.0f);
    const int calls = std::max(1, 2000000 / kc);
    ops.push_back({"ukernel K=" + std::to_string(kc) + " x" + std::to_string(calls), 2.0 * bt::kGemmMR * 64 * kc * calls,
                   [=] { for (int i = 0; i < calls; ++i) uk(bt::kGemmMR, 64, kc, a->data(), w->data() + bt::kGemmNR, stride, c->data(), 64); },
                   {}});
  }
  for (Op& op : ops) op.run();  // warm up
  for (int r = 0; r < rounds; ++r) {
    for (Op& op : ops) {
      const auto t0 = std::chrono::steady_clock::now();
      op.run();
      op.ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
  }
  std::printf("%s layer (m=%d hidden=%d heads=%d ffn=%d) threads=%d, %d rounds: best / median ms, GFLOP/s at best / median\n",
              label, m, h, heads, inter, threads, rounds);
  double layer_best = 0, layer_med = 0;
  for (const Op& op : ops) {
    const double best = *std::min_element(op.ms.begin(), op.ms.end()), med = Median(op.ms);
    const bool in_layer = op.name == "qkv" || op.name == "attention" || op.name == "out+res" || op.name == "layernorm" ||
                          op.name == "ffn_in+gelu" || op.name == "ffn_out+res";
    if (in_layer) layer_best += best + (op.name == "layernorm" ? best : 0), layer_med += med + (op.name == "layernorm" ? med : 0);
    if (op.flops > 0) {
      std::printf("  %-24s %8.3f / %8.3f ms  %6.1f / %6.1f GFLOP/s\n", op.name.c_str(), best, med, op.flops / best * 1e-6,
                  op.flops / med * 1e-6);
    } else {
      std::printf("  %-24s %8.3f / %8.3f ms\n", op.name.c_str(), best, med);
    }
  }
  std::printf("  %-24s %8.3f / %8.3f ms (qkv + attention + out + 2 layernorm + ffn_in+gelu + ffn_out)\n", "layer sum",
              layer_best, layer_med);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--layers") {
    const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
    const int rounds = argc > 3 ? std::atoi(argv[3]) : 40;
    for (int i = 0; i < 2; ++i) {
      LayerBreakdown("minilm-l6", 128, 384, 12, 1536, threads, rounds);
      LayerBreakdown("distilbert", 128, 768, 12, 3072, threads, rounds);
    }
    return 0;
  }
  const int m = 128, k = 768;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (int n : {768, 3072}) {
    std::vector<float> x(static_cast<size_t>(m) * k), w(static_cast<size_t>(n) * k), b(n), y(static_cast<size_t>(m) * n);
    for (float& v : x) v = dist(rng);
    for (float& v : w) v = dist(rng) * 0.05f;
    for (float& v : b) v = dist(rng);
    std::unique_ptr<bt::PackedLinear> packed[2] = {bt::PackLinearF32(w.data(), b.data(), n, k),
                                                   bt::PackLinearQ8(w.data(), b.data(), n, k)};
    const char* names[2] = {"f32", "q8 "};
    for (int kind = 0; kind < 2; ++kind) {
      if (packed[kind] == nullptr) continue;
      for (int threads : {1, 2}) {
        bt::SetNumThreads(threads);
        BestSeconds(*packed[kind], x.data(), m, y.data(), 3);  // warm up (and wake workers)
        const double s = BestSeconds(*packed[kind], x.data(), m, y.data(), 20);
        std::printf("%s M=%d K=%d N=%-4d threads=%d: %7.1f GFLOP/s (%.3f ms)\n", names[kind], m, k, n, threads,
                    2.0 * m * n * k / s * 1e-9, s * 1e3);
      }
    }
  }
  bt::SetNumThreads(1);
  MicrokernelRates();
  return 0;
}
