// Reads a SentencePiece `.model` file (a serialized ModelProto) into the pipeline stages.
#pragma once

#include <string_view>

#include "core/status.h"
#include "tokenizers/pipeline_tokenizer.h"

namespace bt::tokenizers {

// Unigram models only; BPE/word/char SentencePiece models are rejected.
Result<PipelineParts> PipelineFromSentencePiece(std::string_view model_proto);

}  // namespace bt::tokenizers
