// Byte-level BPE (GPT-2/RoBERTa) helpers: the reversible byte <-> printable char mapping and
// the GPT-2 pre-tokenization pattern.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bt::tokenizers::byte_level {

// GPT-2's bytes_to_unicode: printable bytes map to themselves, the others to U+0100 upwards.
char32_t ByteToChar(uint8_t byte);
// The inverse; -1 for a char that no byte maps to.
int32_t CharToByte(char32_t c);

// The words of `text` as the pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// cuts it, as [begin, end) ranges covering the whole text.
std::vector<std::pair<size_t, size_t>> SplitGpt2(std::u32string_view text);

}  // namespace bt::tokenizers::byte_level
