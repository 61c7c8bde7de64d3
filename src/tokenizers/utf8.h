// UTF-8 <-> code points. Tokenizers work on code points because Hugging Face reports offsets in
// code points of the original text; bytes only appear at the API boundary (and in byte-level BPE).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace bt::tokenizers {

// Strict decoding: overlong forms, surrogates, values past U+10FFFF and truncated sequences are
// rejected with "text is not valid UTF-8 at byte N".
Result<std::u32string> DecodeUtf8(std::string_view text);

// Replaces each invalid sequence by U+FFFD, as Rust's String::from_utf8_lossy does (decoders
// that rebuild text from bytes, e.g. byte-level BPE, can produce partial characters).
std::string SanitizeUtf8(std::string_view bytes);

void AppendUtf8(char32_t cp, std::string* out);
std::string EncodeUtf8(std::u32string_view text);

}  // namespace bt::tokenizers
