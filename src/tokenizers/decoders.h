// Decoders: turn tokens back into text (tokenizer.json `decoder`).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/json_util.h"

namespace bt::tokenizers {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Rewrites the tokens in place; Decode joins the result without separator.
  virtual void DecodeChain(std::vector<std::string>* tokens) const = 0;
};

// Builds the decoder described by tokenizer.json's `decoder` (nullptr for null).
Result<std::unique_ptr<Decoder>> DecoderFromJson(const Json* config, const std::string& path);

// The text of `tokens`; without a decoder Hugging Face joins them with spaces.
std::string DecodeTokens(const Decoder* decoder, std::vector<std::string> tokens);

}  // namespace bt::tokenizers
