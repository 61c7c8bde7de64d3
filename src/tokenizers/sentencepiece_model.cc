#include "tokenizers/sentencepiece_model.h"

#include <cstring>
#include <utility>

#include "tokenizers/sentencepiece_normalizer.h"
#include "tokenizers/unigram.h"
#include "tokenizers/utf8.h"

namespace bt::tokenizers {
namespace {

// The protobuf wire format, only as far as ModelProto needs it.
class ProtoReader {
 public:
  ProtoReader(std::string_view bytes, std::string what) : bytes_(bytes), what_(std::move(what)) {}

  bool done() const { return at_ >= bytes_.size(); }

  // Reads the next field: its number, and its payload as a varint, a fixed32 or bytes.
  Status Next(uint32_t* field, uint64_t* varint, uint32_t* fixed32, std::string_view* bytes) {
    uint64_t key;
    BT_RETURN_IF_ERROR(ReadVarint(&key));
    *field = static_cast<uint32_t>(key >> 3);
    switch (key & 7) {
      case 0:
        return ReadVarint(varint);
      case 1:
        return Skip(8);
      case 2: {
        uint64_t length;
        BT_RETURN_IF_ERROR(ReadVarint(&length));
        if (length > bytes_.size() - at_) return Truncated();
        *bytes = bytes_.substr(at_, length);
        at_ += length;
        return Status::Ok();
      }
      case 5:
        if (bytes_.size() - at_ < 4) return Truncated();
        std::memcpy(fixed32, bytes_.data() + at_, 4);  // little endian on every target we build for
        at_ += 4;
        return Status::Ok();
      default:
        return Status::BadCheckpoint(what_ + ": unsupported protobuf wire type at byte " + std::to_string(at_));
    }
  }

 private:
  Status ReadVarint(uint64_t* value) {
    *value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ >= bytes_.size()) return Truncated();
      const auto byte = static_cast<unsigned char>(bytes_[at_++]);
      *value |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if (byte < 0x80) return Status::Ok();
    }
    return Status::BadCheckpoint(what_ + ": bad varint at byte " + std::to_string(at_));
  }
  Status Skip(size_t n) {
    if (bytes_.size() - at_ < n) return Truncated();
    at_ += n;
    return Status::Ok();
  }
  Status Truncated() const { return Status::BadCheckpoint(what_ + ": truncated at byte " + std::to_string(at_)); }

  std::string_view bytes_;
  std::string what_;
  size_t at_ = 0;
};

// Field numbers of sentencepiece_model.proto.
enum : uint32_t {
  kModelPieces = 1, kModelTrainerSpec = 2, kModelNormalizerSpec = 3,
  kPieceText = 1, kPieceScore = 2, kPieceType = 3,
  kTrainerModelType = 3, kTrainerWhitespaceAsSuffix = 24, kTrainerByteFallback = 35, kTrainerUnkId = 40,
  kTrainerPadId = 43,
  kNormalizerCharsmap = 2, kNormalizerDummyPrefix = 3, kNormalizerRemoveExtraSpaces = 4, kNormalizerEscapeSpaces = 5,
};
constexpr uint64_t kUnigramModelType = 1;

struct SentencePieceModel {
  std::vector<UnigramPiece> pieces;
  uint64_t model_type = kUnigramModelType;
  bool whitespace_as_suffix = false, byte_fallback = false;
  int64_t unk_id = 0, pad_id = -1;
  std::string_view charsmap;
  SentencePieceWhitespace whitespace;
};

Result<UnigramPiece> ParsePiece(std::string_view bytes, const std::string& what) {
  UnigramPiece piece;
  ProtoReader reader(bytes, what);
  while (!reader.done()) {
    uint32_t field = 0, fixed = 0;
    uint64_t varint = 0;
    std::string_view payload;
    BT_RETURN_IF_ERROR(reader.Next(&field, &varint, &fixed, &payload));
    if (field == kPieceText) piece.text.assign(payload);
    if (field == kPieceScore) {
      float score;
      std::memcpy(&score, &fixed, 4);
      piece.score = score;
    }
    if (field == kPieceType) {
      if (varint < 1 || varint > 6) return Status::BadCheckpoint(what + ": unknown piece type " + std::to_string(varint));
      piece.type = static_cast<PieceType>(varint - 1);  // proto: NORMAL=1 ... BYTE=6
    }
  }
  return piece;
}

Result<SentencePieceModel> ParseModel(std::string_view bytes) {
  SentencePieceModel model;
  ProtoReader reader(bytes, "spiece.model");
  while (!reader.done()) {
    uint32_t field = 0, fixed = 0;
    uint64_t varint = 0;
    std::string_view payload;
    BT_RETURN_IF_ERROR(reader.Next(&field, &varint, &fixed, &payload));
    if (field == kModelPieces) {
      const std::string what = "spiece.model: piece " + std::to_string(model.pieces.size());
      BT_ASSIGN_OR_RETURN(UnigramPiece piece, ParsePiece(payload, what));
      model.pieces.push_back(std::move(piece));
    } else if (field == kModelTrainerSpec || field == kModelNormalizerSpec) {
      const bool trainer = field == kModelTrainerSpec;
      ProtoReader spec(payload, trainer ? "spiece.model: trainer_spec" : "spiece.model: normalizer_spec");
      while (!spec.done()) {
        uint32_t f = 0;
        uint64_t v = 0;
        std::string_view p;
        BT_RETURN_IF_ERROR(spec.Next(&f, &v, &fixed, &p));
        if (trainer) {
          if (f == kTrainerModelType) model.model_type = v;
          if (f == kTrainerWhitespaceAsSuffix) model.whitespace_as_suffix = v != 0;
          if (f == kTrainerByteFallback) model.byte_fallback = v != 0;
          if (f == kTrainerUnkId) model.unk_id = static_cast<int32_t>(v);
          if (f == kTrainerPadId) model.pad_id = static_cast<int32_t>(v);  // int32 -1 arrives as 2^64-1
        } else {
          if (f == kNormalizerCharsmap) model.charsmap = p;
          if (f == kNormalizerDummyPrefix) model.whitespace.add_dummy_prefix = v != 0;
          if (f == kNormalizerRemoveExtraSpaces) model.whitespace.remove_extra_whitespaces = v != 0;
          if (f == kNormalizerEscapeSpaces) model.whitespace.escape_whitespaces = v != 0;
        }
      }
    }
  }
  return model;
}

}  // namespace

Result<PipelineParts> PipelineFromSentencePiece(std::string_view model_proto) {
  BT_ASSIGN_OR_RETURN(SentencePieceModel model, ParseModel(model_proto));
  if (model.model_type != kUnigramModelType) return Status::Unsupported("spiece.model: only unigram models are supported");
  // Not used by the BERT family; refused rather than encoded differently.
  if (model.whitespace_as_suffix) return Status::Unsupported("spiece.model: treat_whitespace_as_suffix is not supported");
  if (model.byte_fallback) return Status::Unsupported("spiece.model: byte_fallback is not supported");

  PipelineParts parts;
  BT_ASSIGN_OR_RETURN(PrecompiledCharsmap charsmap,
                      PrecompiledCharsmap::Parse(model.charsmap, "spiece.model: normalizer_spec"));
  std::vector<std::u32string> user_symbols;
  bool has_cls = false, has_sep = false;
  for (const UnigramPiece& piece : model.pieces) {
    if (piece.type == PieceType::kUserDefined) {
      auto chars = DecodeUtf8(piece.text);
      if (!chars.ok()) return Status::BadCheckpoint("spiece.model: piece '" + piece.text + "' is not valid UTF-8");
      user_symbols.push_back(std::move(chars).value());
    }
    has_cls = has_cls || piece.text == "[CLS]";
    has_sep = has_sep || piece.text == "[SEP]";
  }
  parts.normalizer = MakeSentencePieceNormalizer(std::move(charsmap), model.whitespace, std::move(user_symbols));
  BT_ASSIGN_OR_RETURN(parts.model, Unigram::Create(std::move(model.pieces), static_cast<int32_t>(model.unk_id),
                                                   "spiece.model: trainer_spec"));
  if (model.pad_id >= 0) parts.pad_id = static_cast<int32_t>(model.pad_id);

  // Words start at each "▁" (no piece spans one), which gives word ids; the normalizer has
  // already put the marks in. ALBERT's [CLS] A [SEP] B:1 [SEP]:1 when the model has those pieces.
  const Json pre_tokenizer = {{"type", "Metaspace"}, {"prepend_scheme", "never"}, {"split", true}};
  BT_ASSIGN_OR_RETURN(parts.pre_tokenizer, PreTokenizerFromJson(&pre_tokenizer, "spiece.model"));
  const Json decoder = {{"type", "Metaspace"}, {"prepend_scheme", "always"}};
  BT_ASSIGN_OR_RETURN(parts.decoder, DecoderFromJson(&decoder, "spiece.model"));
  if (has_cls && has_sep) {
    const int32_t cls = parts.model->TokenToId("[CLS]"), sep = parts.model->TokenToId("[SEP]");
    auto special = [](const char* name, int32_t type_id) { return Json{{"SpecialToken", {{"id", name}, {"type_id", type_id}}}}; };
    auto sequence = [](const char* name, int32_t type_id) { return Json{{"Sequence", {{"id", name}, {"type_id", type_id}}}}; };
    const Json post = {
        {"type", "TemplateProcessing"},
        {"single", {special("[CLS]", 0), sequence("A", 0), special("[SEP]", 0)}},
        {"pair", {special("[CLS]", 0), sequence("A", 0), special("[SEP]", 0), sequence("B", 1), special("[SEP]", 1)}},
        {"special_tokens",
         {{"[CLS]", {{"id", "[CLS]"}, {"ids", {cls}}, {"tokens", {"[CLS]"}}}},
          {"[SEP]", {{"id", "[SEP]"}, {"ids", {sep}}, {"tokens", {"[SEP]"}}}}}},
    };
    BT_ASSIGN_OR_RETURN(parts.post_processor, PostProcessor::FromJson(&post, "spiece.model"));
  }
  return parts;
}

}  // namespace bt::tokenizers
