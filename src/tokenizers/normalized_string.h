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

// One output char of a transformation and how it relates to the chars it replaces (Hugging Face's
// (char, isize) pairs): 0 replaces the next char, n > 0 is inserted, n < 0 replaces the next char
// and removes the -n chars after it.
struct Change {
  char32_t c;
  int32_t change;
};

struct NormalizedString {
  std::u32string chars;
  std::vector<Span> spans;  // spans[i]: where chars[i] came from
  // Where this piece starts in the original text (Hugging Face's original_shift): the origin of
  // chars inserted before everything else, and what Metaspace's prepend_scheme "first" tests.
  int32_t origin = 0;

  // Unnormalized text that starts at code point `origin` of the original input.
  static NormalizedString FromOriginal(std::u32string_view text, int32_t origin) {
    NormalizedString s;
    s.chars.assign(text.begin(), text.end());
    s.spans.reserve(text.size());
    s.origin = origin;
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

  // Chars [begin, end), begin < end; the slice starts where its first char came from.
  NormalizedString Slice(size_t begin, size_t end) const {
    NormalizedString s;
    s.chars = chars.substr(begin, end - begin);
    s.spans.assign(spans.begin() + begin, spans.begin() + end);
    s.origin = begin < spans.size() ? spans[begin].first : origin;
    return s;
  }

  // The original range covered by the normalized chars [begin, end); begin < end.
  Span OriginalSpan(size_t begin, size_t end) const { return {spans[begin].first, spans[end - 1].second}; }

  // Hugging Face's NormalizedString::transform_range: chars [begin, end) are replaced by `dest`,
  // after dropping `initial_offset` of them. A replacing char takes the span of the char it
  // replaces; an inserted char takes the span of the char before it (or an empty span at the
  // origin when there is none).
  void TransformRange(size_t begin, size_t end, const std::vector<Change>& dest, size_t initial_offset) {
    NormalizedString out;
    out.origin = origin;
    out.chars.reserve(chars.size() - (end - begin) + dest.size());
    out.spans.reserve(out.chars.capacity());
    out.chars.append(chars, 0, begin);
    out.spans.assign(spans.begin(), spans.begin() + begin);
    size_t offset = begin + initial_offset;
    const Span none{origin, origin};
    for (const Change& change : dest) {
      Span span;
      if (change.change > 0) {
        span = offset >= 1 && offset - 1 < spans.size() ? spans[offset - 1] : (offset >= 1 && !spans.empty() ? spans.back() : none);
      } else {
        span = offset < spans.size() ? spans[offset] : (spans.empty() ? none : spans.back());
        ++offset;
        if (change.change < 0) offset += static_cast<size_t>(-static_cast<int64_t>(change.change));
      }
      out.Append(change.c, span);
    }
    out.chars.append(chars, end, std::u32string::npos);
    out.spans.insert(out.spans.end(), spans.begin() + end, spans.end());
    *this = std::move(out);
  }

  void Transform(const std::vector<Change>& dest, size_t initial_offset) {
    TransformRange(0, chars.size(), dest, initial_offset);
  }
};

}  // namespace bt::tokenizers
