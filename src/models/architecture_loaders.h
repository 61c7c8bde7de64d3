// Loaders of the families whose checkpoints are laid out unlike BERT's (architecture.h,
// ArchitectureSpec::load). Each reads Hugging Face's tensor names into the shared blocks and heads.
#pragma once

#include "core/status.h"
#include "io/config.h"
#include "models/model_parts.h"
#include "models/weights.h"

namespace bt {

// ModernBERT: "model.embeddings.tok_embeddings" + bias-free "norm"; layers "model.layers.N." with fused
// "attn.Wqkv", "attn.Wo", "attn_norm" (absent in layer 0: identity), "mlp.Wi" (GeGLU, 2I), "mlp.Wo",
// "mlp_norm"; "model.final_norm". Heads: "head.dense" + "head.norm", then "decoder" (tied, with
// "decoder.bias") or "classifier" (sequence: cls or mean pooling; token; question answering).
Status LoadModernBert(const ModelConfig& config, const WeightSource& weights, ModelParts& parts);

// XLNet: "transformer.word_embedding"; layers "transformer.layer.N." with "rel_attn.{q,k,v,o,r}"
// ([d_model, n_head, d_head]), "rel_attn.r_{w,r,s}_bias", "rel_attn.seg_embed", "rel_attn.layer_norm",
// "ff.layer_1", "ff.layer_2", "ff.layer_norm". Heads: "lm_loss" (tied), "sequence_summary.summary" +
// "logits_proj", "classifier", "qa_outputs".
Status LoadXlnet(const ModelConfig& config, const WeightSource& weights, ModelParts& parts);

}  // namespace bt
