// XLNet's checkpoint into the shared blocks (architecture_loaders.h).
#include "models/architecture.h"
#include "models/architecture_loaders.h"
#include "models/layers.h"

namespace bt {
namespace {

// A [d_model, n_head, d_head] projection (einsum "ibh,hnd->ibnd") as [n_head*d_head, d_model] rows.
Result<std::vector<float>> TransposedProjection(const WeightSource& weights, const std::string& name, int64_t h,
                                                int64_t heads) {
  BT_ASSIGN_OR_RETURN(std::vector<float> w, weights.Get(name, {h, heads, h / heads}));
  std::vector<float> t(w.size());
  for (int64_t i = 0; i < h; ++i) {
    for (int64_t j = 0; j < h; ++j) t[static_cast<size_t>(j * h + i)] = w[static_cast<size_t>(i * h + j)];
  }
  return t;
}

Status LoadHeads(const ModelConfig& c, const WeightSource& weights, const std::string& prefix, ModelParts& parts) {
  const int64_t h = c.hidden_size;
  HeadProgram& head = parts.head_program;
  switch (parts.head) {
    case HeadKind::kBase:
      return Status::Ok();
    case HeadKind::kMaskedLm: {  // XLNetLMHeadModel: lm_loss, tied to the word embeddings
      const bool is_tied = !weights.Has("lm_loss.weight");
      const std::string matrix = is_tied ? prefix + "word_embedding.weight" : "lm_loss.weight";
      BT_ASSIGN_OR_RETURN(Linear decoder, LoadTiedLinear(weights, matrix, "lm_loss.bias", c.vocab_size, h,
                                                         is_tied ? &parts.encoder.embeddings.word : nullptr));
      head.steps.push_back(LinearStep(std::move(decoder), Activation::kNone));
      return Status::Ok();
    }
    case HeadKind::kSequenceClassification: {  // sequence_summary (row, proj, activation) -> logits_proj
      head.first_token_only = true;
      head.sequence_row = c.summary_type == "last"    ? SequenceRow::kLast
                          : c.summary_type == "first" ? SequenceRow::kFirst
                                                      : SequenceRow::kMean;
      int64_t width = h;
      if (c.summary_use_proj) {
        BT_ASSIGN_OR_RETURN(width, ClassifierOutputs(weights, "sequence_summary.summary.weight"));
        BT_ASSIGN_OR_RETURN(Linear summary, LoadLinear(weights, "sequence_summary.summary", width, h));
        head.steps.push_back(LinearStep(std::move(summary), c.summary_activation));
      } else if (c.summary_activation != Activation::kNone) {
        return Status::Unsupported("config.json: an XLNet summary activation without summary_use_proj is not supported");
      }
      BT_ASSIGN_OR_RETURN(int64_t labels, ClassifierOutputs(weights, "logits_proj.weight"));
      BT_ASSIGN_OR_RETURN(Linear logits, LoadLinear(weights, "logits_proj", labels, width));
      head.steps.push_back(LinearStep(std::move(logits), Activation::kNone));
      return Status::Ok();
    }
    case HeadKind::kTokenClassification: {
      BT_ASSIGN_OR_RETURN(int64_t labels, ClassifierOutputs(weights, "classifier.weight"));
      BT_ASSIGN_OR_RETURN(Linear classifier, LoadLinear(weights, "classifier", labels, h));
      head.steps.push_back(LinearStep(std::move(classifier), Activation::kNone));
      return Status::Ok();
    }
    case HeadKind::kQuestionAnswering: {  // XLNetForQuestionAnsweringSimple
      BT_ASSIGN_OR_RETURN(Linear qa, LoadLinear(weights, "qa_outputs", 2, h));
      head.steps.push_back(LinearStep(std::move(qa), Activation::kNone));
      return Status::Ok();
    }
  }
  return Status::Ok();
}

}  // namespace

Status LoadXlnet(const ModelConfig& c, const WeightSource& weights, ModelParts& parts) {
  const std::string prefix = weights.Has("transformer.word_embedding.weight") ? "transformer." : "";
  const int64_t h = c.hidden_size, heads = c.num_attention_heads, inter = c.intermediate_size;
  EncoderWeights& e = parts.encoder;
  e.type_vocab_size = 0;
  e.relative_positions = true;
  e.clamp_len = c.clamp_len;
  e.any_type_ids = true;

  BT_ASSIGN_OR_RETURN(e.embeddings.word, weights.Embeddings(prefix + "word_embedding.weight", c.vocab_size, h));
  e.embeddings.positions = PositionIds::kNone;
  e.embeddings.padding_idx = c.pad_token_id;

  for (int32_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = prefix + "layer." + std::to_string(i) + ".";
    EncoderLayerWeights layer;
    std::vector<float> qkv;
    for (const char* name : {"rel_attn.q", "rel_attn.k", "rel_attn.v"}) {
      BT_ASSIGN_OR_RETURN(std::vector<float> rows, TransposedProjection(weights, p + name, h, heads));
      qkv.insert(qkv.end(), rows.begin(), rows.end());
    }
    BT_ASSIGN_OR_RETURN(layer.attention.qkv, PackLinearFromRows(weights, std::move(qkv), {}, 3 * h, h, true, p + "rel_attn.q"));
    // o: einsum "ibnd,hnd->ibh": [d_model, n_head*d_head] is already [out, in].
    BT_ASSIGN_OR_RETURN(std::vector<float> o, weights.Get(p + "rel_attn.o", {h, heads, h / heads}));
    BT_ASSIGN_OR_RETURN(layer.attention.output, PackLinearFromRows(weights, std::move(o), {}, h, h, true, p + "rel_attn.o"));
    XlnetAttentionWeights& x = layer.attention.xlnet;
    BT_ASSIGN_OR_RETURN(std::vector<float> r, TransposedProjection(weights, p + "rel_attn.r", h, heads));
    BT_ASSIGN_OR_RETURN(x.r, PackLinearFromRows(weights, std::move(r), {}, h, h, true, p + "rel_attn.r"));
    BT_ASSIGN_OR_RETURN(x.r_w_bias, weights.Get(p + "rel_attn.r_w_bias", {heads, h / heads}));
    BT_ASSIGN_OR_RETURN(x.r_r_bias, weights.Get(p + "rel_attn.r_r_bias", {heads, h / heads}));
    BT_ASSIGN_OR_RETURN(x.r_s_bias, weights.Get(p + "rel_attn.r_s_bias", {heads, h / heads}));
    BT_ASSIGN_OR_RETURN(x.seg_embed, weights.Get(p + "rel_attn.seg_embed", {2, heads, h / heads}));
    x.clamp_len = c.clamp_len;
    layer.attention.heads = c.num_attention_heads;
    layer.attention.scores = AttentionScores::kXlnetRelative;
    BT_ASSIGN_OR_RETURN(layer.attention_norm, LoadLayerNorm(weights, p + "rel_attn.layer_norm", h, c.layer_norm_eps));
    BT_ASSIGN_OR_RETURN(layer.ffn.in, LoadEncoderLinear(weights, p + "ff.layer_1", inter, h));
    BT_ASSIGN_OR_RETURN(layer.ffn.out, LoadEncoderLinear(weights, p + "ff.layer_2", h, inter));
    layer.ffn.activation = c.hidden_act;
    layer.ffn.kind = FeedForwardKind::kActivation;
    BT_ASSIGN_OR_RETURN(layer.ffn_norm, LoadLayerNorm(weights, p + "ff.layer_norm", h, c.layer_norm_eps));
    layer.norm = NormPlacement::kPostNorm;
    e.layers.push_back(std::move(layer));
    e.layer_order.push_back(i);
  }
  return LoadHeads(c, weights, prefix, parts);
}

}  // namespace bt
