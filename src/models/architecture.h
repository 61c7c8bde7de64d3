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
// The MLM decoder: its own weight when saved, else the word embeddings (tied), plus `bias_name`.
Result<Linear> LoadDecoder(const ModelConfig& config, const WeightSource& weights, const std::string& decoder_prefix,
                           const std::string& word_embeddings, const std::string& bias_name);

Result<ModelParts> LoadBertParts(const ModelConfig& config, const WeightSource& weights);
Result<ModelParts> LoadRobertaParts(const ModelConfig& config, const WeightSource& weights);
Result<ModelParts> LoadDistilBertParts(const ModelConfig& config, const WeightSource& weights);
Result<ModelParts> LoadAlbertParts(const ModelConfig& config, const WeightSource& weights);

// Token classification (`classifier`) and question answering (`qa_outputs`): the same names in every
// architecture. Leaves `head` empty for the base model.
Status LoadPerTokenHead(const ModelConfig& config, const WeightSource& weights, HeadKind kind, HeadProgram& head);

// BERT-style layers ("<prefix>encoder.layer.N.attention.self.query" ...), used by BERT and RoBERTa.
Status LoadBertLayers(const ModelConfig& config, const WeightSource& weights, const std::string& prefix,
                      EncoderWeights& encoder);

}  // namespace bt
