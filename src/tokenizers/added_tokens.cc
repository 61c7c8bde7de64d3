#include "tokenizers/added_tokens.h"

#include <algorithm>
#include <utility>

#include "tokenizers/unicode.h"
#include "tokenizers/utf8.h"

namespace bt::tokenizers {
namespace {

// Hugging Face's notion of a word char for `single_word` (the regex crate's \w).
bool IsWordChar(char32_t c) { return unicode::IsWordChar(c); }

}  // namespace

Result<AddedVocabulary> AddedVocabulary::FromJson(const Json* list, const std::string& path) {
  AddedVocabulary vocab;
  if (list == nullptr) return vocab;
  if (!list->is_array()) return FieldError(path, "expected an array");
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& entry = (*list)[i];
    const std::string where = path + "[" + std::to_string(i) + "]";
    AddedToken token;
    int64_t id = -1;
    BT_RETURN_IF_ERROR(ReadInt(entry, where, "id", &id));
    if (id < 0 || id > INT32_MAX) return FieldError(where + ".id", "missing or out of range");
    token.id = static_cast<int32_t>(id);
    BT_ASSIGN_OR_RETURN(token.content, RequiredString(entry, where, "content"));
    if (token.content.empty()) return FieldError(where + ".content", "empty");
    BT_RETURN_IF_ERROR(ReadBool(entry, where, "single_word", &token.single_word));
    BT_RETURN_IF_ERROR(ReadBool(entry, where, "lstrip", &token.lstrip));
    BT_RETURN_IF_ERROR(ReadBool(entry, where, "rstrip", &token.rstrip));
    BT_RETURN_IF_ERROR(ReadBool(entry, where, "special", &token.special));
    token.normalized = !token.special;  // Hugging Face's default when the field is absent
    BT_RETURN_IF_ERROR(ReadBool(entry, where, "normalized", &token.normalized));
    if (!DecodeUtf8(token.content).ok()) return FieldError(where + ".content", "not valid UTF-8");
    vocab.by_id_.emplace(token.id, vocab.tokens_.size());
    vocab.by_content_.emplace(token.content, vocab.tokens_.size());
    vocab.tokens_.push_back(std::move(token));
  }
  return vocab;
}

void AddedVocabulary::PatternTrie::Add(const std::u32string& text, int32_t token) {
  if (text.empty()) return;
  int32_t node = 0;
  for (char32_t c : text) {
    const uint64_t key = (static_cast<uint64_t>(node) << 32) | c;
    auto [it, inserted] = edges.emplace(key, static_cast<int32_t>(terminal.size()));
    if (inserted) terminal.push_back(-1);
    node = it->second;
  }
  if (terminal[node] < 0) terminal[node] = token;  // duplicates: the first added wins
}

std::pair<int32_t, size_t> AddedVocabulary::PatternTrie::LongestAt(std::u32string_view text, size_t at) const {
  std::pair<int32_t, size_t> best{-1, 0};
  int32_t node = 0;
  for (size_t i = at; i < text.size(); ++i) {
    auto it = edges.find((static_cast<uint64_t>(node) << 32) | text[i]);
    if (it == edges.end()) break;
    node = it->second;
    if (terminal[node] >= 0) best = {terminal[node], i + 1 - at};
  }
  return best;
}

void AddedVocabulary::Prepare(const Normalizer* normalizer) {
  raw_patterns_ = PatternTrie();
  normalized_patterns_ = PatternTrie();
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& token = tokens_[i];
    NormalizedString text = NormalizedString::FromOriginal(DecodeUtf8(token.content).value(), 0);
    if (!token.normalized) {
      raw_patterns_.Add(text.chars, static_cast<int32_t>(i));
      continue;
    }
    if (normalizer != nullptr && !normalizer->Normalize(&text).ok()) continue;  // cannot match then
    normalized_patterns_.Add(text.chars, static_cast<int32_t>(i));
  }
}

std::vector<TextSegment> AddedVocabulary::Split(std::u32string_view text, const PatternTrie& patterns) const {
  std::vector<TextSegment> segments;
  size_t done = 0;  // text before this is already in `segments`
  for (size_t at = 0; at < text.size() && !patterns.empty();) {
    const auto [match_token, match_length] = patterns.LongestAt(text, at);
    if (match_token < 0) {
      ++at;
      continue;
    }
    const AddedToken& token = tokens_[match_token];
    size_t begin = at, end = at + match_length;
    at = end;  // like Aho-Corasick's iterator, resume after the match even when it is discarded
    if (begin < done) continue;
    if (token.single_word) {
      const bool alone_left = begin == 0 || !IsWordChar(text[begin - 1]);
      const bool alone_right = end == text.size() || !IsWordChar(text[end]);
      if (!alone_left || !alone_right) continue;
    }
    if (token.lstrip) {
      while (begin > done && unicode::IsWhitespace(text[begin - 1])) --begin;
    }
    if (token.rstrip) {
      while (end < text.size() && unicode::IsWhitespace(text[end])) ++end;
    }
    if (done < begin) segments.push_back(TextSegment{done, begin, -1});
    segments.push_back(TextSegment{begin, end, match_token});
    done = end;
    at = std::max(at, end);
  }
  if (done < text.size()) segments.push_back(TextSegment{done, text.size(), -1});
  return segments;
}

const AddedToken* AddedVocabulary::FindById(int32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

const AddedToken* AddedVocabulary::FindByContent(std::string_view content) const {
  auto it = by_content_.find(std::string(content));
  return it == by_content_.end() ? nullptr : &tokens_[it->second];
}

}  // namespace bt::tokenizers
