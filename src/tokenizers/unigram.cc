#include "tokenizers/unigram.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "tokenizers/utf8.h"

namespace bt::tokenizers {
namespace {

constexpr float kUnknownPenalty = 10.0f;  // sentencepiece's kUnkPenalty

}  // namespace

Result<std::unique_ptr<Unigram>> Unigram::Create(std::vector<UnigramPiece> pieces, int32_t unk_id,
                                                 const std::string& path) {
  if (unk_id < 0 || static_cast<size_t>(unk_id) >= pieces.size()) {
    return FieldError(path + ".unk_id", "missing or not a piece index");
  }
  auto model = std::make_unique<Unigram>();
  float min_score = std::numeric_limits<float>::max(), max_score = std::numeric_limits<float>::lowest();
  for (size_t i = 0; i < pieces.size(); ++i) {
    const UnigramPiece& piece = pieces[i];
    const int32_t id = static_cast<int32_t>(i);
    model->ids_.emplace(piece.text, id);
    if (piece.type == PieceType::kNormal) {
      min_score = std::min(min_score, piece.score);
      max_score = std::max(max_score, piece.score);
    }
    if (piece.type == PieceType::kNormal || piece.type == PieceType::kUserDefined) {
      if (piece.text.empty()) return FieldError(path + ".vocab[" + std::to_string(i) + "]", "empty piece");
      model->matchable_.emplace(piece.text, id);
      auto chars = DecodeUtf8(piece.text);
      if (!chars.ok()) return FieldError(path + ".vocab[" + std::to_string(i) + "]", "not valid UTF-8");
      model->max_piece_chars_ = std::max(model->max_piece_chars_, chars.value().size());
    }
  }
  if (min_score > max_score) min_score = max_score = 0;  // no normal pieces
  model->max_score_ = max_score;
  model->unk_score_ = min_score - kUnknownPenalty;
  model->unk_id_ = unk_id;
  model->pieces_ = std::move(pieces);
  return model;
}

Result<std::unique_ptr<Model>> Unigram::FromJson(const Json& config, const std::string& path) {
  BT_ASSIGN_OR_RETURN(const Json* vocab, RequiredField(config, path, "vocab"));
  if (!vocab->is_array()) return FieldError(path + ".vocab", "expected an array of [piece, score]");
  std::vector<UnigramPiece> pieces;
  pieces.reserve(vocab->size());
  for (size_t i = 0; i < vocab->size(); ++i) {
    const Json& entry = (*vocab)[i];
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !entry[1].is_number()) {
      return FieldError(path + ".vocab[" + std::to_string(i) + "]", "expected [piece, score]");
    }
    pieces.push_back(UnigramPiece{entry[0].get<std::string>(), entry[1].get<float>(), PieceType::kNormal});
  }
  int64_t unk_id = -1;
  bool byte_fallback = false;
  BT_RETURN_IF_ERROR(ReadInt(config, path, "unk_id", &unk_id));
  BT_RETURN_IF_ERROR(ReadBool(config, path, "byte_fallback", &byte_fallback));
  if (byte_fallback) return FieldError(path + ".byte_fallback", "not supported");
  if (unk_id > INT32_MAX) return FieldError(path + ".unk_id", "out of range");
  BT_ASSIGN_OR_RETURN(auto model, Create(std::move(pieces), static_cast<int32_t>(unk_id), path));
  return std::unique_ptr<Model>(std::move(model));
}

Status Unigram::Tokenize(std::u32string_view word, std::vector<ModelToken>* out) const {
  // best[end]: the best segmentation of word[0, end), by its last piece.
  struct Best {
    float score = 0;
    int32_t start = -1;
    int32_t id = -1;
  };
  const size_t n = word.size();
  std::vector<Best> best(n + 1);
  // Candidates are compared in sentencepiece's order (by start, then length, the unknown piece
  // last) and only a strictly better score replaces the incumbent, so ties resolve as there.
  auto offer = [&](size_t start, size_t end, int32_t id, float score) {
    Best& target = best[end];
    const float total = best[start].score + score;
    if (target.start < 0 || total > target.score) target = Best{total, static_cast<int32_t>(start), id};
  };
  std::string candidate;
  for (size_t start = 0; start < n; ++start) {
    bool has_single_char = false;
    candidate.clear();
    for (size_t end = start + 1; end <= std::min(n, start + max_piece_chars_); ++end) {
      AppendUtf8(word[end - 1], &candidate);
      auto it = matchable_.find(candidate);
      if (it == matchable_.end()) continue;
      const UnigramPiece& piece = pieces_[it->second];
      const float score = piece.type == PieceType::kUserDefined
                              ? static_cast<float>(candidate.size()) * max_score_ - 0.1f
                              : piece.score;
      offer(start, end, it->second, score);
      has_single_char = has_single_char || end == start + 1;
    }
    if (!has_single_char) offer(start, start + 1, unk_id_, unk_score_);
  }

  std::vector<ModelToken> tokens;
  for (size_t end = n; end > 0; end = static_cast<size_t>(best[end].start)) {
    const size_t start = static_cast<size_t>(best[end].start);
    tokens.push_back(ModelToken{best[end].id, EncodeUtf8(word.substr(start, end - start)),
                                static_cast<int32_t>(start), static_cast<int32_t>(end)});
  }
  std::reverse(tokens.begin(), tokens.end());
  const size_t first = out->size();
  for (ModelToken& token : tokens) {
    if (token.id == unk_id_ && out->size() > first && out->back().id == unk_id_) {
      out->back().value += token.value;
      out->back().end = token.end;
    } else {
      out->push_back(std::move(token));
    }
  }
  return Status::Ok();
}

int32_t Unigram::TokenToId(std::string_view token) const {
  auto it = ids_.find(std::string(token));
  return it == ids_.end() ? -1 : it->second;
}

std::string Unigram::IdToToken(int32_t id) const {
  return id >= 0 && static_cast<size_t>(id) < pieces_.size() ? pieces_[id].text : std::string();
}

bool Unigram::IsSpecialPiece(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= pieces_.size()) return false;
  const PieceType type = pieces_[id].type;
  return type == PieceType::kControl || type == PieceType::kUnknown || type == PieceType::kUserDefined;
}

}  // namespace bt::tokenizers
