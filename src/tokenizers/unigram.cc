#include "tokenizers/unigram.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <utility>

#include "tokenizers/utf8.h"

namespace bt::tokenizers {
namespace {

constexpr double kUnknownPenalty = 10.0;  // sentencepiece's kUnkPenalty, tokenizers' K_UNK_PENALTY

}  // namespace

Result<std::unique_ptr<Unigram>> Unigram::Create(std::vector<UnigramPiece> pieces, int32_t unk_id,
                                                 const std::string& path, Flavor flavor, bool byte_fallback) {
  if (unk_id < 0 || static_cast<size_t>(unk_id) >= pieces.size()) {
    return FieldError(path + ".unk_id", "missing or not a piece index");
  }
  auto model = std::make_unique<Unigram>();
  const bool hf = flavor == Flavor::kHuggingFace;
  double min_score = std::numeric_limits<double>::max(), max_score = std::numeric_limits<double>::lowest();
  for (size_t i = 0; i < pieces.size(); ++i) {
    const UnigramPiece& piece = pieces[i];
    const int32_t id = static_cast<int32_t>(i);
    if (hf) {
      model->ids_[piece.text] = id;  // a repeated piece maps to its last id, as in tokenizers
    } else {
      model->ids_.emplace(piece.text, id);
    }
    if (hf || piece.type == PieceType::kNormal) {
      min_score = std::min(min_score, piece.score);
      max_score = std::max(max_score, piece.score);
    }
    if (hf || piece.type == PieceType::kNormal || piece.type == PieceType::kUserDefined) {
      if (piece.text.empty()) {
        if (hf) continue;  // an empty piece never matches
        return FieldError(path + ".vocab[" + std::to_string(i) + "]", "empty piece");
      }
      auto chars = DecodeUtf8(piece.text);
      if (!chars.ok()) return FieldError(path + ".vocab[" + std::to_string(i) + "]", "not valid UTF-8");
      if (hf) {
        model->matchable_[piece.text] = id;
      } else {
        model->matchable_.emplace(piece.text, id);
      }
      model->max_piece_chars_ = std::max(model->max_piece_chars_, chars.value().size());
    }
  }
  if (min_score > max_score) min_score = max_score = 0;  // no scored pieces
  model->max_score_ = max_score;
  model->unk_score_ = min_score - kUnknownPenalty;
  model->unk_id_ = unk_id;
  model->flavor_ = flavor;
  model->byte_fallback_ = byte_fallback;
  if (byte_fallback) {
    model->byte_ids_.assign(256, -1);
    char name[8];
    for (int b = 0; b < 256; ++b) {
      std::snprintf(name, sizeof(name), "<0x%02X>", b);
      auto it = model->ids_.find(name);
      if (it != model->ids_.end()) model->byte_ids_[b] = it->second;
    }
  }
  model->pieces_ = std::move(pieces);
  return model;
}

Result<std::unique_ptr<SubwordModel>> Unigram::FromJson(const Json& config, const std::string& path) {
  BT_ASSIGN_OR_RETURN(const Json* vocab, RequiredField(config, path, "vocab"));
  if (!vocab->is_array()) return FieldError(path + ".vocab", "expected an array of [piece, score]");
  std::vector<UnigramPiece> pieces;
  pieces.reserve(vocab->size());
  for (size_t i = 0; i < vocab->size(); ++i) {
    const Json& entry = (*vocab)[i];
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !entry[1].is_number()) {
      return FieldError(path + ".vocab[" + std::to_string(i) + "]", "expected [piece, score]");
    }
    pieces.push_back(UnigramPiece{entry[0].get<std::string>(), entry[1].get<double>(), PieceType::kNormal});
  }
  int64_t unk_id = -1;
  bool byte_fallback = false;
  BT_RETURN_IF_ERROR(ReadInt(config, path, "unk_id", &unk_id));
  BT_RETURN_IF_ERROR(ReadBool(config, path, "byte_fallback", &byte_fallback));
  if (unk_id > INT32_MAX) return FieldError(path + ".unk_id", "out of range");
  BT_ASSIGN_OR_RETURN(auto model, Create(std::move(pieces), static_cast<int32_t>(unk_id), path, Flavor::kHuggingFace,
                                         byte_fallback));
  return std::unique_ptr<SubwordModel>(std::move(model));
}

double Unigram::ScoreOf(int32_t id, size_t utf8_length) const {
  const UnigramPiece& piece = pieces_[id];
  if (flavor_ == Flavor::kSentencePiece && piece.type == PieceType::kUserDefined) {
    // float math, as sentencepiece computes it
    return static_cast<double>(static_cast<float>(utf8_length) * static_cast<float>(max_score_) - 0.1f);
  }
  return piece.score;
}

Status Unigram::Tokenize(std::u32string_view word, std::vector<ModelToken>* out) const {
  // best[end]: the best segmentation of word[0, end), by its last piece.
  struct Best {
    double score = 0;
    int32_t start = -1;
    int32_t id = -1;
  };
  const bool sp = flavor_ == Flavor::kSentencePiece;
  const size_t n = word.size();
  std::vector<Best> best(n + 1);
  // Candidates are compared in sentencepiece's order (by start, then length, the unknown piece
  // last) and only a strictly better score replaces the incumbent, so ties resolve as there.
  // sentencepiece sums in float, tokenizers in double.
  auto offer = [&](size_t start, size_t end, int32_t id, double score) {
    Best& target = best[end];
    const double total = sp ? static_cast<double>(static_cast<float>(best[start].score) + static_cast<float>(score))
                            : best[start].score + score;
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
      offer(start, end, it->second, ScoreOf(it->second, candidate.size()));
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
  if (flavor_ == Flavor::kHuggingFace) {
    // tokenizers looks every token string up again: a fused unknown run that spells a piece takes
    // that piece's id; unknown text becomes byte pieces when byte_fallback has them all.
    std::vector<ModelToken> resolved;
    for (size_t i = first; i < out->size(); ++i) {
      ModelToken& token = (*out)[i];
      auto it = ids_.find(token.value);
      if (it != ids_.end()) {
        token.id = it->second;
        resolved.push_back(std::move(token));
        continue;
      }
      bool bytes_ok = byte_fallback_;
      for (size_t k = 0; bytes_ok && k < token.value.size(); ++k) {
        bytes_ok = byte_ids_[static_cast<uint8_t>(token.value[k])] >= 0;
      }
      if (bytes_ok) {
        for (unsigned char b : token.value) {
          const int32_t id = byte_ids_[b];
          resolved.push_back(ModelToken{id, pieces_[id].text, token.begin, token.end});
        }
        continue;
      }
      token.id = unk_id_;
      resolved.push_back(std::move(token));
    }
    out->resize(first);
    for (ModelToken& token : resolved) out->push_back(std::move(token));
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
