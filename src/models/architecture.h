// Maps a checkpoint onto the shared encoder + head: one loader per architecture
// (bert.cc, roberta.cc, distilbert.cc, albert.cc), chosen by config.model_type.
#pragma once

#include <string>

#include "io/config.h"
#include "models/encoder.h"
#include "models/head.h"
#include "models/weights.h"

namespace bt {

struct ModelParts {
  EncoderWeights encoder;
  HeadKind head = HeadKind::kBase;
  HeadProgram head_program;  // empty for the base model
  HeadProgram pooler;        // the base model's pooler when the checkpoint has one
};

Result<ModelParts> LoadModelParts(const ModelConfig& config, const WeightSource& weights);

// --- shared by the per-architecture loaders ---
// The head named by config.architectures (e.g. "BertForMaskedLM"), or guessed from the tensors.
HeadKind HeadFromArchitectures(const ModelConfig& config, const WeightSource& weights);
// "<model_type>." when the checkpoint was saved with a head, "" for a bare base model.
Result<std::string> BasePrefix(const ModelConfig& config, const WeightSource& weights);
void FillEncoderShape(const ModelConfig& config, EncoderWeights& encoder);
Result<EmbeddingWeights> LoadEmbeddings(const ModelConfig& config, const WeightSource& weights,
                                        const std::string& prefix);
// Number of labels of a classifier, from its weight's first dimension.
Result<int64_t> ClassifierOutputs(const WeightSource& weights, const std::string& name);

Result<ModelParts> LoadBertParts(const ModelConfig& config, const WeightSource& weights);
Result<ModelParts> LoadRobertaParts(const ModelConfig& config, const WeightSource& weights);
Result<ModelParts> LoadDistilBertParts(const ModelConfig& config, const WeightSource& weights);
Result<ModelParts> LoadAlbertParts(const ModelConfig& config, const WeightSource& weights);

// Token classification (`classifier`) and question answering (`qa_outputs`): the same names in every
// architecture. Leaves `head` empty for the base model.
Status LoadPerTokenHead(const ModelConfig& config, const WeightSource& weights, HeadKind kind, HeadProgram& head);

// Checkpoint names of one encoder layer's tensors, relative to the layer's prefix.
struct LayerNames {
  const char *query, *key, *value, *attention_output, *attention_norm, *ffn_in, *ffn_out, *ffn_norm;
};
Result<EncoderLayerWeights> LoadLayer(const ModelConfig& config, const WeightSource& weights,
                                      const std::string& prefix, const LayerNames& names);

// BERT-style layers ("<prefix>encoder.layer.N.attention.self.query" ...), used by BERT and RoBERTa.
Status LoadBertLayers(const ModelConfig& config, const WeightSource& weights, const std::string& prefix,
                      EncoderWeights& encoder);

// Masked LM head: `transform` linear (hidden -> width, activation) -> LayerNorm `norm` -> decoder
// (`decoder`.weight when saved, else the tied word embeddings) + `bias`.
struct MaskedLmNames {
  std::string transform, norm, decoder, bias;
};
Status LoadMaskedLmHead(const ModelConfig& config, const WeightSource& weights, const MaskedLmNames& names,
                        Activation activation, const std::string& word_embeddings, HeadProgram& head);

// Sequence classification: the first token -> `hidden` linear (activation) -> `classifier` linear.
Status LoadSequenceHead(const WeightSource& weights, int64_t hidden_size, const std::string& hidden,
                        Activation activation, const std::string& classifier, HeadProgram& head);

// A base model's pooler (first token -> dense -> tanh) when the checkpoint has `<dense>.weight`.
Status LoadPooler(const WeightSource& weights, int64_t hidden_size, const std::string& dense, HeadProgram& pooler);

}  // namespace bt
