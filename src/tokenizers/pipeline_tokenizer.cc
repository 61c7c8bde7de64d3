#include "tokenizers/pipeline_tokenizer.h"

#include <algorithm>
#include <utility>

#include "tokenizers/utf8.h"

namespace bt::tokenizers {
namespace {

void AppendToken(int32_t id, std::string token, Span span, int32_t word, Encoding* out) {
  out->ids.push_back(id);
  out->tokens.push_back(std::move(token));
  out->offsets.push_back(span);
  out->word_ids.push_back(word);
}

// Tokens [begin, end) of a sequence encoding (ids, tokens, offsets, word ids).
Encoding SliceSequence(const Encoding& from, size_t begin, size_t end) {
  Encoding out;
  out.ids.assign(from.ids.begin() + begin, from.ids.begin() + end);
  out.tokens.assign(from.tokens.begin() + begin, from.tokens.begin() + end);
  out.offsets.assign(from.offsets.begin() + begin, from.offsets.begin() + end);
  out.word_ids.assign(from.word_ids.begin() + begin, from.word_ids.begin() + end);
  out.truncated = begin > 0 || end < from.ids.size();
  return out;
}

// Hugging Face's truncate_encodings (right side, no stride) for a `budget` of sequence tokens.
Status Truncate(int32_t budget, TruncationSide side, Encoding* first, Encoding* second) {
  const size_t max = static_cast<size_t>(budget);
  const size_t n_first = first->ids.size(), n_second = second ? second->ids.size() : 0;
  if (n_first + n_second <= max) return Status::Ok();
  const size_t excess = n_first + n_second - max;
  size_t keep_first = n_first, keep_second = n_second;
  if (side == TruncationSide::kLongestFirst) {
    if (second == nullptr) {
      keep_first = max;
    } else {
      // The shorter sequence keeps everything when it fits in half; else both get half.
      size_t shorter = std::min(n_first, n_second), longer;
      if (shorter > max / 2) {
        shorter = max / 2;
        longer = shorter + max % 2;
      } else {
        longer = max - shorter;
      }
      keep_first = n_first <= n_second ? shorter : longer;
      keep_second = n_first <= n_second ? longer : shorter;
    }
  } else {
    const bool cut_first = side == TruncationSide::kOnlyFirst;
    if (!cut_first && second == nullptr) return Status::InvalidArgument("truncation only_second needs a second sequence");
    size_t& keep = cut_first ? keep_first : keep_second;
    if (keep <= excess) {
      return Status::InvalidArgument("truncation: the sequence to truncate is too short to fit max_length " +
                           std::to_string(budget) + " (plus special tokens)");
    }
    keep -= excess;
  }
  *first = SliceSequence(*first, 0, keep_first);
  if (second) *second = SliceSequence(*second, 0, keep_second);
  return Status::Ok();
}

}  // namespace

PipelineTokenizer::PipelineTokenizer(PipelineParts parts) : parts_(std::move(parts)) {
  parts_.added.Prepare(parts_.normalizer.get());
  pad_id_ = parts_.pad_id >= 0 ? parts_.pad_id : std::max(FindFirst({"[PAD]", "<pad>"}), 0);
  mask_id_ = FindFirst({"[MASK]", "<mask>"});
  if (parts_.has_padding) {
    padding_side_ = parts_.padding_direction;
    pad_type_id_ = parts_.padding_type_id;
  }
}

Status PipelineTokenizer::ApplyTokenizerConfig(std::string_view tokenizer_config_json, std::string_view model_type) {
  // transformers' class defaults: XLNetTokenizer pads on the left with token type 3.
  const bool xlnet = model_type == "xlnet";
  if (xlnet) {
    padding_side_ = PaddingSide::kLeft;
    pad_type_id_ = 3;
  }
  if (tokenizer_config_json.empty()) return Status::Ok();
  const Json config = Json::parse(tokenizer_config_json.begin(), tokenizer_config_json.end(), nullptr, false);
  if (config.is_discarded() || !config.is_object()) return Status::BadCheckpoint("tokenizer_config.json: not a JSON object");
  std::string side;
  BT_RETURN_IF_ERROR(ReadString(config, "tokenizer_config.json", "padding_side", &side));
  if (side == "left") {
    padding_side_ = PaddingSide::kLeft;
  } else if (side == "right") {
    padding_side_ = PaddingSide::kRight;
  } else if (!side.empty()) {
    return FieldError("tokenizer_config.json.padding_side", "expected \"left\" or \"right\", got \"" + side + "\"");
  }
  return Status::Ok();
}

int32_t PipelineTokenizer::FindFirst(std::initializer_list<const char*> candidates) const {
  for (const char* token : candidates) {
    const int32_t id = TokenToId(token);
    if (id >= 0) return id;
  }
  return -1;
}

Status PipelineTokenizer::TokenizePiece(const NormalizedString& piece, int32_t* word, Encoding* out) const {
  std::vector<NormalizedString> words;
  if (parts_.pre_tokenizer) {
    BT_RETURN_IF_ERROR(parts_.pre_tokenizer->Split(piece, &words));
  } else if (!piece.empty()) {
    words.push_back(piece);
  }
  std::vector<ModelToken> tokens;
  for (const NormalizedString& w : words) {
    tokens.clear();
    BT_RETURN_IF_ERROR(parts_.model->Tokenize(w.chars, &tokens));
    for (ModelToken& token : tokens) {
      AppendToken(token.id, std::move(token.value), w.OriginalSpan(token.begin, token.end), *word, out);
    }
    ++*word;
  }
  return Status::Ok();
}

Result<Encoding> PipelineTokenizer::EncodeSequence(std::string_view text) const {
  BT_ASSIGN_OR_RETURN(std::u32string chars, DecodeUtf8(text));
  Encoding out;
  int32_t word = 0;
  // An added token's token string is the text it matched (with any whitespace lstrip/rstrip
  // took), as Hugging Face reports it.
  auto append_added = [&](int32_t index, std::u32string_view matched, Span span) {
    const AddedToken& token = parts_.added.tokens()[index];
    AppendToken(token.id, EncodeUtf8(matched), span, word++, &out);
  };
  for (const TextSegment& raw : parts_.added.SplitRaw(chars)) {
    if (raw.token >= 0) {
      append_added(raw.token, std::u32string_view(chars).substr(raw.begin, raw.end - raw.begin),
                   Span(static_cast<int32_t>(raw.begin), static_cast<int32_t>(raw.end)));
      continue;
    }
    NormalizedString piece = NormalizedString::FromOriginal(
        std::u32string_view(chars).substr(raw.begin, raw.end - raw.begin), static_cast<int32_t>(raw.begin));
    if (parts_.normalizer) BT_RETURN_IF_ERROR(parts_.normalizer->Normalize(&piece));
    for (const TextSegment& part : parts_.added.SplitNormalized(piece.chars)) {
      if (part.token >= 0) {
        append_added(part.token, std::u32string_view(piece.chars).substr(part.begin, part.end - part.begin),
                     piece.OriginalSpan(part.begin, part.end));
      } else {
        BT_RETURN_IF_ERROR(TokenizePiece(piece.Slice(part.begin, part.end), &word, &out));
      }
    }
  }
  return out;
}

Result<Encoding> PipelineTokenizer::Finish(Encoding first, std::optional<Encoding> second,
                                           const EncodeOptions& options) const {
  if (options.truncation) {
    const int32_t max_length = options.max_length > 0 ? options.max_length : parts_.model_max_length;
    if (max_length > 0) {
      const int32_t added = options.add_special_tokens ? parts_.post_processor.NumAdded(second.has_value()) : 0;
      if (max_length < added) {
        return Status::InvalidArgument("truncation: max_length " + std::to_string(max_length) + " leaves no room for the " +
                             std::to_string(added) + " special tokens");
      }
      BT_RETURN_IF_ERROR(Truncate(max_length - added, options.truncation_strategy, &first,
                                  second ? &*second : nullptr));
    }
  }
  return parts_.post_processor.Process(std::move(first), std::move(second), options.add_special_tokens);
}

Result<Encoding> PipelineTokenizer::Encode(std::string_view text, const EncodeOptions& options) const {
  BT_ASSIGN_OR_RETURN(Encoding first, EncodeSequence(text));
  return Finish(std::move(first), std::nullopt, options);
}

Result<Encoding> PipelineTokenizer::EncodePair(std::string_view first, std::string_view second,
                                               const EncodeOptions& options) const {
  BT_ASSIGN_OR_RETURN(Encoding a, EncodeSequence(first));
  BT_ASSIGN_OR_RETURN(Encoding b, EncodeSequence(second));
  return Finish(std::move(a), std::move(b), options);
}

Result<std::vector<Encoding>> PipelineTokenizer::EncodeWindows(std::string_view question, std::string_view context,
                                                               const WindowOptions& options) const {
  BT_ASSIGN_OR_RETURN(Encoding q, EncodeSequence(question));
  BT_ASSIGN_OR_RETURN(Encoding c, EncodeSequence(context));
  const int64_t chunk = static_cast<int64_t>(options.max_length) - static_cast<int64_t>(q.ids.size()) -
                        parts_.post_processor.NumAdded(true);
  if (chunk <= 0) {
    return Status::InvalidArgument("windows: the question (" + std::to_string(q.ids.size()) +
                         " tokens) leaves no room for context in max_length " + std::to_string(options.max_length));
  }
  if (options.stride < 0 || options.stride >= chunk) {
    return Status::InvalidArgument("windows: stride " + std::to_string(options.stride) + " must be below the chunk size " +
                         std::to_string(chunk));
  }
  std::vector<Encoding> windows;
  const size_t total = c.ids.size();
  for (size_t start = 0;; start += static_cast<size_t>(chunk - options.stride)) {
    const size_t end = std::min(total, start + static_cast<size_t>(chunk));
    Encoding window = parts_.post_processor.Process(q, SliceSequence(c, start, end), true);
    windows.push_back(std::move(window));
    if (end == total) break;
  }
  return windows;
}

std::string PipelineTokenizer::Decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (skip_special_tokens && IsSpecial(id)) continue;
    std::string token = IdToToken(id);
    if (!token.empty()) tokens.push_back(std::move(token));
  }
  return DecodeTokens(parts_.decoder.get(), std::move(tokens));
}

std::string PipelineTokenizer::IdToToken(int32_t id) const {
  const AddedToken* added = parts_.added.FindById(id);
  return added != nullptr ? added->content : parts_.model->IdToToken(id);
}

int32_t PipelineTokenizer::TokenToId(std::string_view token) const {
  const AddedToken* added = parts_.added.FindByContent(token);
  return added != nullptr ? added->id : parts_.model->TokenToId(token);
}

bool PipelineTokenizer::IsSpecial(int32_t id) const {
  const AddedToken* added = parts_.added.FindById(id);
  return added != nullptr ? added->special : parts_.model->IsSpecialPiece(id);
}

int32_t PipelineTokenizer::vocab_size() const {
  int32_t size = parts_.model->vocab_size();
  for (const AddedToken& token : parts_.added.tokens()) size = std::max(size, token.id + 1);
  return size;
}

}  // namespace bt::tokenizers
