// Training memory (not a test): peak resident memory of one training step at batch 16 x 128 for
// bert-mini (shared/models/bert-mini-mlm) and for DistilBERT-base geometry (6 layers, H 768, I 3072,
// 12 heads, vocab 30522; random fp32 weights built in memory), per mode: head only (features),
// LoRA r 8 on query/value, the last 2 layers, all layers (+ embeddings). One process per mode, so each
// peak is its own (VmHWM, reset after the model loads with /proc/self/clear_refs).
//   cmake --build build/native --target bertology_engine
//   g++ -O2 -std=c++20 -Isrc -isystem build/native/third_party_include -DJSON_NOEXCEPTION=1 -fno-exceptions \
//       bench/train_memory.cc build/native/libbertology_engine.a -pthread -o /tmp/train_memory
//   /tmp/train_memory bert-mini|distilbert head|lora|last2|all [shared dir]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "io/file_store.h"
#include "models/model.h"
#include "train/trainer.h"

using namespace bt;

namespace {

long StatusKb(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(std::strlen(key)));
  }
  return -1;
}

void ResetPeak() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
}

// A DistilBERT-base-shaped checkpoint (DistilBertModel names) with random weights.
Result<FileStore> DistilBertGeometry() {
  const int64_t v = 30522, p = 512, h = 768, inter = 3072, layers = 6;
  std::vector<std::pair<std::string, std::vector<int64_t>>> tensors = {
      {"embeddings.word_embeddings.weight", {v, h}}, {"embeddings.position_embeddings.weight", {p, h}},
      {"embeddings.LayerNorm.weight", {h}}, {"embeddings.LayerNorm.bias", {h}}};
  for (int64_t l = 0; l < layers; ++l) {
    const std::string pre = "transformer.layer." + std::to_string(l) + ".";
    for (const char* lin : {"attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin"}) {
      tensors.push_back({pre + lin + ".weight", {h, h}});
      tensors.push_back({pre + lin + ".bias", {h}});
    }
    tensors.push_back({pre + "ffn.lin1.weight", {inter, h}});
    tensors.push_back({pre + "ffn.lin1.bias", {inter}});
    tensors.push_back({pre + "ffn.lin2.weight", {h, inter}});
    tensors.push_back({pre + "ffn.lin2.bias", {h}});
    for (const char* ln : {"sa_layer_norm", "output_layer_norm"}) {
      tensors.push_back({pre + ln + ".weight", {h}});
      tensors.push_back({pre + ln + ".bias", {h}});
    }
  }
  std::string header = "{";
  int64_t offset = 0;
  for (const auto& [name, shape] : tensors) {
    int64_t n = 1;
    std::string dims;
    for (int64_t d : shape) {
      n *= d;
      dims += (dims.empty() ? "" : ",") + std::to_string(d);
    }
    header += (header.size() > 1 ? "," : "") + std::string("\"") + name + "\":{\"dtype\":\"F32\",\"shape\":[" + dims +
              "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + 4 * n) + "]}";
    offset += 4 * n;
  }
  header += "}";
  while (header.size() % 8 != 0) header += ' ';
  FileStore files;
  BT_ASSIGN_OR_RETURN(uint8_t * data, files.Allocate("model.safetensors", 8 + header.size() + offset));
  const uint64_t len = header.size();
  std::memcpy(data, &len, 8);
  std::memcpy(data + 8, header.data(), header.size());
  float* w = reinterpret_cast<float*>(data + 8 + header.size());
  TrainRng rng(1);
  for (int64_t i = 0; i < offset / 4; ++i) w[i] = static_cast<float>((rng.Uniform() - 0.5) * 0.04);
  BT_RETURN_IF_ERROR(files.Put("config.json", R"({"activation": "gelu", "architectures": ["DistilBertModel"], "dim": 768,
    "hidden_dim": 3072, "initializer_range": 0.02, "max_position_embeddings": 512, "model_type": "distilbert",
    "n_heads": 12, "n_layers": 6, "pad_token_id": 0, "vocab_size": 30522})"));
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: train_memory bert-mini|distilbert head|lora|last2|all [shared dir]\n");
    return 2;
  }
  const std::string which = argv[1], mode = argv[2], shared = argc > 3 ? argv[3] : "../shared";
  Result<FileStore> files = which == "distilbert" ? DistilBertGeometry() : ReadDirectory(shared + "/models/bert-mini-mlm");
  if (!files.ok()) {
    std::fprintf(stderr, "%s\n", files.status().message().c_str());
    return 1;
  }
  auto model = Model::Load(files.value());
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.status().message().c_str());
    return 1;
  }
  files = FileStore();  // the checkpoint bytes are gone once packed
  const long loaded = StatusKb("VmRSS:");
  ResetPeak();
  std::string options = R"({"task":"sequence","num_labels":2,"optimizer":{"lr":2e-5,"total_steps":100},)";
  if (mode == "head") options += R"("layers":0})";
  if (mode == "lora") options += R"("layers":0,"lora":{"r":8,"alpha":16}})";
  if (mode == "last2") options += R"("layers":2})";
  if (mode == "all") options += R"("layers":-1,"embeddings":true})";
  auto parsed = ParseTrainerOptions(options);
  if (!parsed.ok()) return 1;
  auto trainer = Trainer::Create(model->get(), parsed.value());
  if (!trainer.ok()) {
    std::fprintf(stderr, "%s\n", trainer.status().message().c_str());
    return 1;
  }
  const int32_t batch = 16, seq = 128, m = batch * seq;
  std::vector<int32_t> ids(m), mask(m, 1), labels(batch);
  TrainRng rng(3);
  for (int32_t& id : ids) id = 1000 + static_cast<int32_t>(rng.Next() % 20000);
  for (int32_t i = 0; i < batch; ++i) labels[i] = i % 2;
  TrainBatch b{batch, seq, ids.data(), nullptr, mask.data(), labels.data()};
  const auto t0 = std::chrono::steady_clock::now();
  auto r = trainer.value()->Step(b);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.status().message().c_str());
    return 1;
  }
  const long peak = StatusKb("VmHWM:");
  std::printf("{\"model\":\"%s\",\"mode\":\"%s\",\"batch\":%d,\"seq\":%d,\"weights_mb\":%.1f,\"rss_after_load_mb\":%.1f,"
              "\"peak_rss_mb\":%.1f,\"training_extra_mb\":%.1f,\"trainer_mb\":%.1f,\"arena_mb\":%.1f,"
              "\"trainable_parameters\":%lld,\"step_seconds\":%.1f,\"loss\":%.4f}\n",
              which.c_str(), mode.c_str(), batch, seq, model.value()->weight_bytes() / 1048576.0, loaded / 1024.0,
              peak / 1024.0, (peak - loaded) / 1024.0, trainer.value()->memory_bytes() / 1048576.0,
              trainer.value()->peak_arena_bytes() / 1048576.0, static_cast<long long>(trainer.value()->trainable_parameters()),
              seconds, r->loss);
  return 0;
}
