// Unigram language model (SentencePiece, ALBERT, XLM-R, DeBERTa-v3, XLNet): the segmentation with
// the highest total piece score (Viterbi); chars no piece covers become the unknown piece, and
// runs of unknown pieces are fused into one token. Two flavors that differ in details:
//   * sentencepiece (spiece.model files): control/unknown pieces never match, user-defined pieces
//     score length * max_score - 0.1, the unknown score is min(normal scores) - 10, float math;
//   * Hugging Face (tokenizer.json): every piece may match, the unknown score is min(all scores)
//     - 10, double math, and `byte_fallback` spells unknown text as <0xHH> pieces.
#pragma once

#include <unordered_map>

#include "tokenizers/model.h"

namespace bt::tokenizers {

enum class PieceType { kNormal, kUnknown, kControl, kUserDefined, kUnused, kByte };

struct UnigramPiece {
  std::string text;
  double score = 0;
  PieceType type = PieceType::kNormal;
};

class Unigram final : public SubwordModel {
 public:
  enum class Flavor { kSentencePiece, kHuggingFace };

  static Result<std::unique_ptr<Unigram>> Create(std::vector<UnigramPiece> pieces, int32_t unk_id,
                                                 const std::string& path, Flavor flavor = Flavor::kSentencePiece,
                                                 bool byte_fallback = false);
  // tokenizer.json {"type": "Unigram", "vocab": [[piece, score], ...], "unk_id": n, "byte_fallback": b}.
  static Result<std::unique_ptr<SubwordModel>> FromJson(const Json& config, const std::string& path);

  Status Tokenize(std::u32string_view word, std::vector<ModelToken>* out) const override;
  int32_t TokenToId(std::string_view token) const override;
  std::string IdToToken(int32_t id) const override;
  int32_t vocab_size() const override { return static_cast<int32_t>(pieces_.size()); }
  // Control, unknown and user-defined pieces (what SentencePiece-based tokenizers skip in decoding).
  bool IsSpecialPiece(int32_t id) const override;

 private:
  double ScoreOf(int32_t id, size_t utf8_length) const;

  std::vector<UnigramPiece> pieces_;
  std::unordered_map<std::string, int32_t> ids_;       // every piece
  std::unordered_map<std::string, int32_t> matchable_;  // the pieces a segmentation may use
  size_t max_piece_chars_ = 1;
  int32_t unk_id_ = -1;
  Flavor flavor_ = Flavor::kSentencePiece;
  bool byte_fallback_ = false;
  double max_score_ = 0;  // sentencepiece: over normal pieces (user-defined pieces score from it)
  double unk_score_ = 0;
  std::vector<int32_t> byte_ids_;  // byte_fallback: the id of "<0xHH>" per byte, -1 when missing
};

}  // namespace bt::tokenizers
