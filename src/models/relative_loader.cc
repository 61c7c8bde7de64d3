#include "models/relative_loader.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/thread_pool.h"
#include "models/layers.h"

namespace bt {
namespace {

// DeBERTa's attention span: position_buckets when set, else max_relative_positions (< 1:
// max_position_embeddings).
int32_t DebertaSpan(const ModelConfig& c) {
  const int32_t max_rel = c.relative.max_relative_positions < 1 ? c.max_position_embeddings : c.relative.max_relative_positions;
  return c.relative.position_buckets > 0 ? c.relative.position_buckets : max_rel;
}

Status LoadMpnet(const ModelConfig& c, const WeightSource& weights, const std::string& prefix, int32_t max_sequence,
                 EncoderWeights& encoder) {
  const int32_t heads = c.num_attention_heads, buckets = c.relative.relative_attention_num_buckets;
  // compute_position_bias always uses 32 buckets (its default), whatever the table's size.
  constexpr int32_t kBuckets = 32;
  if (buckets < kBuckets) {
    return Status::Unsupported("config.json: MPNet relative_attention_num_buckets " + std::to_string(buckets) +
                               " < 32 (MPNet's position bias always indexes 32 buckets)");
  }
  auto a = std::make_shared<RelativeAttention>();
  BT_ASSIGN_OR_RETURN(a->bias, weights.Get(prefix + "encoder.relative_attention_bias.weight", {buckets, heads}));
  a->heads = heads;
  a->head_dim = c.hidden_size / heads;
  a->scale = 1.0f / std::sqrt(static_cast<float>(a->head_dim));
  // relative_position = key − query = −r.
  FillRelativeIndex(*a, std::max(0, max_sequence - 1), [](int32_t r) { return MpnetBucket(-r, kBuckets, 128); });
  for (EncoderLayerWeights& layer : encoder.layers) {
    layer.attention.scores = AttentionScores::kRelative;
    layer.attention.relative = a;
  }
  return Status::Ok();
}

// [rows, H] = x · Wᵀ + b for a float32 linear read from the checkpoint.
std::vector<float> Project(const Linear& linear, const std::vector<float>& x, int32_t rows) {
  std::vector<float> y(static_cast<size_t>(rows) * linear->n());
  LinearForward(*linear, x.data(), rows, Activation::kNone, nullptr, y.data(), DefaultThreadPool());
  return y;
}

Status LoadDeberta(const ModelConfig& c, const WeightSource& weights, const std::string& prefix,
                   const std::string& layer_path, int32_t max_sequence, EncoderWeights& encoder) {
  const RelativeConfig& rc = c.relative;
  const int32_t h = c.hidden_size, heads = c.num_attention_heads, hd = h / heads;
  const int32_t scale_factor = 1 + (rc.c2p ? 1 : 0) + (rc.p2c ? 1 : 0);
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd * scale_factor));
  const int32_t span = DebertaSpan(c);
  std::vector<float> rel;
  if (rc.relative_attention) {
    const int32_t table_rows = c.relative.position_buckets > 0 ? 2 * c.relative.position_buckets
                                                               : 2 * DebertaSpan(c);
    BT_ASSIGN_OR_RETURN(rel, weights.Get(prefix + "encoder.rel_embeddings.weight", {table_rows, h}));
    rel.resize(static_cast<size_t>(2 * span) * h);  // rel_embeddings[0 : 2·span]
    if (rc.norm_rel_ebd) {
      BT_ASSIGN_OR_RETURN(LayerNormWeights norm, LoadLayerNorm(weights, prefix + "encoder.LayerNorm", h, c.layer_norm_eps));
      LayerNormForward(norm, rel.data(), rel.data(), 2 * span, h, DefaultThreadPool());
    }
  }
  const int32_t buckets = rc.position_buckets;
  const int32_t max_position = rc.max_relative_positions < 1 ? c.max_position_embeddings : rc.max_relative_positions;
  for (size_t l = 0; l < encoder.layers.size(); ++l) {
    auto a = std::make_shared<RelativeAttention>();
    a->heads = heads;
    a->head_dim = hd;
    a->scale = scale;
    a->masking = RelativeMasking::kQueriesAndKeys;
    a->width = h;
    a->head_stride = hd;
    FillRelativeIndex(*a, std::max(0, max_sequence - 1), [&](int32_t r) {
      const int32_t bucket = buckets > 0 && max_position > 0 ? DebertaLogBucket(r, buckets, max_position) : r;
      return std::clamp(bucket + span, 0, 2 * span - 1);
    });
    if (rc.relative_attention && (rc.c2p || rc.p2c)) {
      const std::string p = layer_path + std::to_string(l) + ".attention.self.";
      if (rc.c2p) {
        BT_ASSIGN_OR_RETURN(Linear key, LoadLinear(weights, p + (rc.share_att_key ? "key_proj" : "pos_key_proj"), h, h));
        a->pos_key = Project(key, rel, 2 * span);
      }
      if (rc.p2c) {
        BT_ASSIGN_OR_RETURN(Linear query,
                            LoadLinear(weights, p + (rc.share_att_key ? "query_proj" : "pos_query_proj"), h, h));
        a->pos_query = Project(query, rel, 2 * span);
      }
    }
    encoder.layers[l].attention.scores = AttentionScores::kRelative;
    encoder.layers[l].attention.relative = std::move(a);
  }
  return Status::Ok();
}

Status LoadBertRelative(const ModelConfig& c, const WeightSource& weights, const std::string& layer_path,
                        const std::string& query_name, int32_t max_sequence, EncoderWeights& encoder) {
  const bool key_query = c.position_embedding_type == "relative_key_query";
  const int32_t heads = c.num_attention_heads, hd = c.hidden_size / heads, max_pos = c.max_position_embeddings;
  const std::string self = query_name.substr(0, query_name.rfind('.') + 1);  // "attention.self."
  for (size_t l = 0; l < encoder.layers.size(); ++l) {
    auto a = std::make_shared<RelativeAttention>();
    a->heads = heads;
    a->head_dim = hd;
    a->scale = 1.0f / std::sqrt(static_cast<float>(hd));
    a->width = hd;
    a->head_stride = 0;  // one table for every head
    BT_ASSIGN_OR_RETURN(a->pos_key, weights.Get(layer_path + std::to_string(l) + "." + self + "distance_embedding.weight",
                                                {2 * max_pos - 1, hd}));
    if (key_query) a->pos_query = a->pos_key;
    // distance_embedding(i − j + max_position_embeddings − 1)
    FillRelativeIndex(*a, std::max(0, max_sequence - 1), [&](int32_t r) { return r + max_pos - 1; });
    encoder.layers[l].attention.scores = AttentionScores::kRelative;
    encoder.layers[l].attention.relative = std::move(a);
  }
  return Status::Ok();
}

}  // namespace

bool HasRelativeAttention(const ModelConfig& c) {
  return c.model_type == ModelType::kMpnet || c.model_type == ModelType::kDebertaV2 ||
         c.position_embedding_type == "relative_key" ||
         c.position_embedding_type == "relative_key_query";
}

int32_t RelativeMaxSequence(const ModelConfig& c) {
  return std::max(c.max_position_embeddings, 2 * DebertaSpan(c));
}

Status LoadRelativeAttention(const ModelConfig& c, const WeightSource& weights, const std::string& prefix,
                             const std::string& layer_path, const std::string& query_name, int32_t max_sequence,
                             EncoderWeights& encoder) {
  if (c.model_type == ModelType::kMpnet) return LoadMpnet(c, weights, prefix, max_sequence, encoder);
  if (c.model_type == ModelType::kDebertaV2) return LoadDeberta(c, weights, prefix, layer_path, max_sequence, encoder);
  if (HasRelativeAttention(c)) return LoadBertRelative(c, weights, layer_path, query_name, max_sequence, encoder);
  return Status::Ok();
}

}  // namespace bt
