// UTF-8 <-> code points. Tokenizers work on code points because Hugging Face reports offsets in
// code points of the original text; bytes only appear at the API boundary (and in byte-level BPE).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace bt::tokenizers {

// A lead byte >= 0x80 of a well-formed UTF-8 sequence (Unicode Table 3-7): the sequence's length (2..4)
// and the allowed range of its second byte (which excludes overlong forms, surrogates and values past
// U+10FFFF; later bytes are 0x80..0xBF). length 0: the byte cannot lead a sequence.
struct Utf8Lead {
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;
};
inline Utf8Lead ClassifyUtf8Lead(unsigned char lead) {
  Utf8Lead r;
  if (lead >= 0xC2 && lead <= 0xDF) {
    r.length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    r.length = 3;
    if (lead == 0xE0) r.low = 0xA0;
    if (lead == 0xED) r.high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    r.length = 4;
    if (lead == 0xF0) r.low = 0x90;
    if (lead == 0xF4) r.high = 0x8F;
  }
  return r;
}

// Strict decoding: overlong forms, surrogates, values past U+10FFFF and truncated sequences are
// rejected with "text is not valid UTF-8 at byte N".
Result<std::u32string> DecodeUtf8(std::string_view text);

// Replaces each invalid sequence by U+FFFD, as Rust's String::from_utf8_lossy does (decoders
// that rebuild text from bytes, e.g. byte-level BPE, can produce partial characters).
std::string SanitizeUtf8(std::string_view bytes);

void AppendUtf8(char32_t cp, std::string* out);
std::string EncodeUtf8(std::u32string_view text);

}  // namespace bt::tokenizers
