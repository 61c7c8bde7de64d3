// Unigram language model (SentencePiece, ALBERT): the segmentation with the highest total piece
// score (Viterbi), as sentencepiece's optimized encoder computes it; chars no piece covers become
// the unknown piece, and runs of unknown pieces are fused into one token.
#pragma once

#include <unordered_map>

#include "tokenizers/model.h"

namespace bt::tokenizers {

enum class PieceType { kNormal, kUnknown, kControl, kUserDefined, kUnused, kByte };

struct UnigramPiece {
  std::string text;
  float score = 0;
  PieceType type = PieceType::kNormal;
};

class Unigram final : public Model {
 public:
  static Result<std::unique_ptr<Unigram>> Create(std::vector<UnigramPiece> pieces, int32_t unk_id,
                                                 const std::string& path);
  // tokenizer.json {"type": "Unigram", "vocab": [[piece, score], ...], "unk_id": n}.
  static Result<std::unique_ptr<Model>> FromJson(const Json& config, const std::string& path);

  Status Tokenize(std::u32string_view word, std::vector<ModelToken>* out) const override;
  int32_t TokenToId(std::string_view token) const override;
  std::string IdToToken(int32_t id) const override;
  int32_t vocab_size() const override { return static_cast<int32_t>(pieces_.size()); }
  // Control, unknown and user-defined pieces (what SentencePiece-based tokenizers skip in decoding).
  bool IsSpecialPiece(int32_t id) const override;

 private:
  std::vector<UnigramPiece> pieces_;
  std::unordered_map<std::string, int32_t> ids_;       // every piece
  std::unordered_map<std::string, int32_t> matchable_;  // the pieces a segmentation may use
  size_t max_piece_chars_ = 1;
  int32_t unk_id_ = -1;
  float max_score_ = 0;  // over normal pieces; user-defined pieces score length * max_score - 0.1
  float unk_score_ = 0;  // min normal score - 10
};

}  // namespace bt::tokenizers
