#include "tokenizers/unicode.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tokenizers/unicode_tables.h"

namespace bt::tokenizers::unicode {
namespace {

namespace t = ::bt::tokenizers::unicode_tables;

constexpr uint32_t kRecordLengthShift = 21;
constexpr uint32_t kRecordCpMask = (1u << kRecordLengthShift) - 1;

// Positions of the records of a record table (see unicode_tables.h), for binary search.
struct RecordIndex {
  std::vector<uint32_t> keys;
  std::vector<uint32_t> positions;
};

RecordIndex BuildIndex(const uint32_t* table, size_t size) {
  RecordIndex index;
  for (size_t i = 0; i < size; i += 1 + (table[i] >> kRecordLengthShift)) {
    index.keys.push_back(table[i] & kRecordCpMask);
    index.positions.push_back(static_cast<uint32_t>(i));
  }
  return index;
}

// Appends cp's mapping from a record table; false when cp has none.
bool AppendRecord(const RecordIndex& index, const uint32_t* table, char32_t cp, std::u32string* out) {
  auto it = std::lower_bound(index.keys.begin(), index.keys.end(), static_cast<uint32_t>(cp));
  if (it == index.keys.end() || *it != cp) return false;
  const uint32_t pos = index.positions[it - index.keys.begin()];
  out->append(table + pos + 1, table + pos + 1 + (table[pos] >> kRecordLengthShift));
  return true;
}

// Hangul syllable decomposition (Unicode ch. 3.12): computed, not tabled.
constexpr char32_t kHangulBase = 0xAC00, kLeadBase = 0x1100, kVowelBase = 0x1161, kTrailBase = 0x11A7;
constexpr char32_t kVowelCount = 21, kTrailCount = 28, kHangulCount = 11172;

}  // namespace

CharClass ClassOf(char32_t cp) {
  const uint32_t key = (static_cast<uint32_t>(cp) << 3) | 7u;
  const uint32_t* end = t::kClassRanges + t::kClassRangesSize;
  const uint32_t* it = std::upper_bound(t::kClassRanges, end, key);
  if (it == t::kClassRanges || cp > 0x10FFFF) return CharClass::kOther;
  return static_cast<CharClass>(*(it - 1) & 7u);
}

bool IsWhitespace(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000;
}

void AppendDecomposition(char32_t cp, std::u32string* out) {
  if (cp < 0xC0) {  // nothing below U+00C0 decomposes
    out->push_back(cp);
    return;
  }
  if (cp >= kHangulBase && cp < kHangulBase + kHangulCount) {
    const char32_t index = cp - kHangulBase;
    out->push_back(kLeadBase + index / (kVowelCount * kTrailCount));
    out->push_back(kVowelBase + (index % (kVowelCount * kTrailCount)) / kTrailCount);
    if (index % kTrailCount != 0) out->push_back(kTrailBase + index % kTrailCount);
    return;
  }
  static const RecordIndex index = BuildIndex(t::kDecompositions, t::kDecompositionsSize);
  if (!AppendRecord(index, t::kDecompositions, cp, out)) out->push_back(cp);
}

void AppendLowercase(char32_t cp, std::u32string* out) {
  if (cp < 0x80) {
    out->push_back(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
    return;
  }
  static const RecordIndex multi_index = BuildIndex(t::kLowerMulti, t::kLowerMultiSize);
  if (AppendRecord(multi_index, t::kLowerMulti, cp, out)) return;
  // The last run starting at or before cp is the only one that can hold it (runs do not overlap).
  const int32_t c = static_cast<int32_t>(cp);
  size_t lo = 0, hi = t::kLowerRunsSize / 4;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (t::kLowerRuns[mid * 4] <= c) lo = mid + 1; else hi = mid;
  }
  if (lo > 0) {
    const int32_t* run = t::kLowerRuns + (lo - 1) * 4;
    const int32_t start = run[0], count = run[1], stride = run[2], delta = run[3];
    if (c <= start + (count - 1) * stride && (c - start) % stride == 0) {
      out->push_back(static_cast<char32_t>(c + delta));
      return;
    }
  }
  out->push_back(cp);
}

}  // namespace bt::tokenizers::unicode
