// A piece of text under normalization: the current code points, each tied to the range of the
// original text it came from. Hugging Face keeps the same alignment (per byte); keeping it per
// code point of the whole input lets every token report offsets into the original text directly.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bt::tokenizers {

using Span = std::pair<int32_t, int32_t>;  // [begin, end) in code points of the original text

struct NormalizedString {
  std::u32string chars;
  std::vector<Span> spans;  // spans[i]: where chars[i] came from

  // Unnormalized text that starts at code point `origin` of the original input.
  static NormalizedString FromOriginal(std::u32string_view text, int32_t origin) {
    NormalizedString s;
    s.chars.assign(text.begin(), text.end());
    s.spans.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
      const int32_t at = origin + static_cast<int32_t>(i);
      s.spans.emplace_back(at, at + 1);
    }
    return s;
  }

  bool empty() const { return chars.empty(); }
  size_t size() const { return chars.size(); }

  void Append(char32_t c, Span span) {
    chars.push_back(c);
    spans.push_back(span);
  }

  NormalizedString Slice(size_t begin, size_t end) const {
    NormalizedString s;
    s.chars = chars.substr(begin, end - begin);
    s.spans.assign(spans.begin() + begin, spans.begin() + end);
    return s;
  }

  // The original range covered by the normalized chars [begin, end); begin < end.
  Span OriginalSpan(size_t begin, size_t end) const { return {spans[begin].first, spans[end - 1].second}; }
};

}  // namespace bt::tokenizers
