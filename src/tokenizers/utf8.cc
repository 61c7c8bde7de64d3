#include "tokenizers/utf8.h"

namespace bt::tokenizers {
namespace {

// Decodes the sequence starting at text[i]. Returns its length and sets *cp, or returns 0 for an
// invalid sequence and sets *bad_length to its maximal invalid subpart (Unicode's "maximal
// subpart" rule, which Rust's from_utf8_lossy follows). The allowed second-byte ranges exclude
// overlong forms, surrogates and values past U+10FFFF.
size_t DecodeAt(std::string_view text, size_t i, char32_t* cp, size_t* bad_length) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  *bad_length = 1;
  if (lead < 0x80) {
    *cp = lead;
    return 1;
  }
  const Utf8Lead lead_info = ClassifyUtf8Lead(lead);
  const size_t length = lead_info.length;
  const unsigned char low = lead_info.low, high = lead_info.high;  // range of the second byte
  if (length == 0) return 0;
  char32_t value = lead & (0x7F >> length);
  for (size_t k = 1; k < length; ++k) {
    if (i + k >= text.size()) return 0;
    const unsigned char next = byte(i + k);
    if (next < (k == 1 ? low : 0x80) || next > (k == 1 ? high : 0xBF)) return 0;
    value = (value << 6) | (next & 0x3F);
    *bad_length = k + 1;
  }
  *cp = value;
  return length;
}

}  // namespace

Result<std::u32string> DecodeUtf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    char32_t cp;
    size_t bad_length;
    const size_t length = DecodeAt(text, i, &cp, &bad_length);
    if (length == 0) return Status::InvalidArgument("text is not valid UTF-8 at byte " + std::to_string(i));
    out.push_back(cp);
    i += length;
  }
  return out;
}

std::string SanitizeUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    char32_t cp;
    size_t bad_length;
    const size_t length = DecodeAt(bytes, i, &cp, &bad_length);
    if (length == 0) {
      AppendUtf8(0xFFFD, &out);
      i += bad_length;
    } else {
      out.append(bytes.substr(i, length));
      i += length;
    }
  }
  return out;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string EncodeUtf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t cp : text) AppendUtf8(cp, &out);
  return out;
}

}  // namespace bt::tokenizers
