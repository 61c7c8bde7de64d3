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

// A generated table unpacked into the plain array unicode_tables.h describes (done once per table,
// on first use: see the PackedKind formats there).
template <typename T>
std::vector<T> Unpack(const t::PackedTable& packed) {
  const uint8_t* at = packed.bytes;
  const uint8_t* const end = packed.bytes + packed.byte_size;
  auto varint = [&]() {
    uint64_t value = 0;
    for (int shift = 0; at < end; shift += 7) {
      const uint8_t byte = *at++;
      value |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if (byte < 0x80) break;
    }
    return value;
  };
  auto unzigzag = [](uint64_t v) { return (v & 1) ? -static_cast<int64_t>(v >> 1) - 1 : static_cast<int64_t>(v >> 1); };
  // Written through a pointer (`size` values, both packings): this runs on the first tokenizer build,
  // in the browser's baseline compiler (Liftoff), where push_back per value cost ~2 ms.
  std::vector<T> out(packed.size);
  T* dst = out.data();
  T* const dst_end = dst + out.size();
  if (packed.kind == t::kPackedDeltas) {
    int64_t value = 0;
    for (; dst < dst_end; ++dst) {
      value += unzigzag(varint());
      *dst = static_cast<T>(value);
    }
    return out;
  }
  uint32_t cp = 0;
  int64_t first = 0;
  while (at < end && dst < dst_end) {
    const uint64_t head = varint();
    cp += static_cast<uint32_t>(head >> 3);
    uint32_t length = static_cast<uint32_t>(head & 7);
    if (length == 7) length = static_cast<uint32_t>(varint());
    if (length >= static_cast<size_t>(dst_end - dst)) break;  // never past `size` (the generator checks it)
    *dst++ = static_cast<T>(cp | length << kRecordLengthShift);
    int64_t value = first;
    for (uint32_t k = 0; k < length; ++k) {
      value += unzigzag(varint());
      *dst++ = static_cast<T>(value);
      if (k == 0) first = value;
    }
  }
  out.resize(static_cast<size_t>(dst - out.data()));
  return out;
}

// A record table (see unicode_tables.h) and the positions of its records, for binary search.
struct RecordIndex {
  std::vector<uint32_t> table;
  std::vector<uint32_t> keys;
  std::vector<uint32_t> positions;
};

RecordIndex BuildIndex(const t::PackedTable& packed) {
  RecordIndex index;
  index.table = Unpack<uint32_t>(packed);
  const std::vector<uint32_t>& table = index.table;
  for (size_t i = 0; i < table.size(); i += 1 + (table[i] >> kRecordLengthShift)) {
    index.keys.push_back(table[i] & kRecordCpMask);
    index.positions.push_back(static_cast<uint32_t>(i));
  }
  return index;
}

// Appends cp's mapping from a record table; false when cp has none.
bool AppendRecord(const RecordIndex& index, char32_t cp, std::u32string* out) {
  auto it = std::lower_bound(index.keys.begin(), index.keys.end(), static_cast<uint32_t>(cp));
  if (it == index.keys.end() || *it != cp) return false;
  const uint32_t* record = index.table.data() + index.positions[it - index.keys.begin()];
  out->append(record + 1, record + 1 + (record[0] >> kRecordLengthShift));
  return true;
}

// The value of the range holding cp in a `start << shift | value` range table.
uint32_t RangeValue(const std::vector<uint32_t>& table, int shift, char32_t cp) {
  if (cp > 0x10FFFF) cp = 0x10FFFF;
  const uint32_t key = (static_cast<uint32_t>(cp) << shift) | ((1u << shift) - 1);
  auto it = std::upper_bound(table.begin(), table.end(), key);
  return it == table.begin() ? 0 : *(it - 1) & ((1u << shift) - 1);
}

// Every table, unpacked together on first use (or by PrepareTables when a tokenizer is built): one
// allocation that lives as long as the module, made before any call's heap accounting starts.
struct Tables {
  std::vector<uint32_t> category = Unpack<uint32_t>(t::kCategoryRanges);
  std::vector<uint32_t> alphabetic = Unpack<uint32_t>(t::kAlphabetic);
  RecordIndex decompositions = BuildIndex(t::kDecompositions);
  RecordIndex compat_decompositions = BuildIndex(t::kCompatDecompositions);
  std::vector<uint32_t> combining_class = Unpack<uint32_t>(t::kCombiningClassRanges);
  std::vector<uint64_t> composition_keys = Unpack<uint64_t>(t::kCompositionKeys);
  std::vector<uint32_t> composition_values = Unpack<uint32_t>(t::kCompositionValues);
  RecordIndex lower_multi = BuildIndex(t::kLowerMulti);
  std::vector<int32_t> lower_runs = Unpack<int32_t>(t::kLowerRuns);
  std::vector<uint32_t> grapheme_break = Unpack<uint32_t>(t::kGraphemeBreakRanges);
  std::vector<uint32_t> script = Unpack<uint32_t>(t::kScriptRanges);
  std::vector<uint32_t> age = Unpack<uint32_t>(t::kAgeRanges);
};

const Tables& tables() {
  static const Tables instance;
  return instance;
}

// Hangul syllable decomposition and composition (Unicode ch. 3.12): computed, not tabled.
constexpr char32_t kHangulBase = 0xAC00, kLeadBase = 0x1100, kVowelBase = 0x1161, kTrailBase = 0x11A7;
constexpr char32_t kLeadCount = 19, kVowelCount = 21, kTrailCount = 28, kHangulCount = 11172;

bool AppendHangul(char32_t cp, std::u32string* out) {
  if (cp < kHangulBase || cp >= kHangulBase + kHangulCount) return false;
  const char32_t index = cp - kHangulBase;
  out->push_back(kLeadBase + index / (kVowelCount * kTrailCount));
  out->push_back(kVowelBase + (index % (kVowelCount * kTrailCount)) / kTrailCount);
  if (index % kTrailCount != 0) out->push_back(kTrailBase + index % kTrailCount);
  return true;
}

constexpr const char* kCategoryNames[kGeneralCategoryCount] = {
    "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe",
    "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn"};

}  // namespace

GeneralCategory CategoryOf(char32_t cp) {
  if (cp > 0x10FFFF) return GeneralCategory::kCn;
  return static_cast<GeneralCategory>(RangeValue(tables().category, 5, cp));
}

const char* CategoryName(GeneralCategory category) { return kCategoryNames[static_cast<int>(category)]; }

CharClass ClassOf(char32_t cp) {
  switch (CategoryOf(cp)) {
    case GeneralCategory::kLu: case GeneralCategory::kLl: case GeneralCategory::kLt:
    case GeneralCategory::kLm: case GeneralCategory::kLo:
      return CharClass::kLetter;
    case GeneralCategory::kMn:
      return CharClass::kMarkNonspacing;
    case GeneralCategory::kMc: case GeneralCategory::kMe:
      return CharClass::kMarkOther;
    case GeneralCategory::kNd: case GeneralCategory::kNl: case GeneralCategory::kNo:
      return CharClass::kNumber;
    case GeneralCategory::kPc: case GeneralCategory::kPd: case GeneralCategory::kPs: case GeneralCategory::kPe:
    case GeneralCategory::kPi: case GeneralCategory::kPf: case GeneralCategory::kPo:
      return CharClass::kPunctuation;
    case GeneralCategory::kSm: case GeneralCategory::kSc: case GeneralCategory::kSk: case GeneralCategory::kSo:
      return CharClass::kSymbol;
    case GeneralCategory::kZs: case GeneralCategory::kZl: case GeneralCategory::kZp:
      return CharClass::kSeparator;
    default:
      return CharClass::kOther;
  }
}

bool IsWhitespace(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000;
}

bool IsAlphabetic(char32_t cp) {
  if (cp < 0x80) return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
  const std::vector<uint32_t>& table = tables().alphabetic;
  return (std::upper_bound(table.begin(), table.end(), static_cast<uint32_t>(cp)) - table.begin()) % 2 == 1;
}

bool IsWordChar(char32_t cp) {
  if (cp < 0x80) return (cp >= '0' && cp <= '9') || cp == '_' || IsAlphabetic(cp);
  const GeneralCategory c = CategoryOf(cp);
  return IsAlphabetic(cp) || c == GeneralCategory::kMn || c == GeneralCategory::kMc || c == GeneralCategory::kMe ||
         c == GeneralCategory::kNd || c == GeneralCategory::kPc || cp == 0x200C || cp == 0x200D;
}

bool IsOnigWordChar(char32_t cp) {
  if (cp == 0xB2 || cp == 0xB3 || cp == 0xB9 || (cp >= 0xBC && cp <= 0xBE)) return true;
  return cp != 0x200C && cp != 0x200D && IsWordChar(cp);
}

bool IsPunctuation(char32_t cp) {
  const bool ascii = (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
                     (cp >= 123 && cp <= 126);
  if (ascii) return true;
  // Punctuation in Unicode 8.0 that later versions recategorized (found by comparing every code point).
  if (cp == 0x166D || cp == 0x111C9) return true;
  return cp >= 0x80 && ClassOf(cp) == CharClass::kPunctuation && AssignedBy(cp, 8, 0);
}

bool IsBertOther(char32_t cp) {
  switch (CategoryOf(cp)) {
    case GeneralCategory::kCc: case GeneralCategory::kCo: case GeneralCategory::kCs:
      return true;
    case GeneralCategory::kCf:
      return AssignedBy(cp, 8, 0);
    default:
      return false;
  }
}

bool IsBertNonspacingMark(char32_t cp) {
  // Recategorized after Unicode 8.0 (found by comparing every code point): Mn then, not now...
  if (cp == 0x1734) return true;
  // ... and not Mn then, Mn now.
  if (cp == 0x1885 || cp == 0x1886 || cp == 0xA9BD || cp == 0x111C9) return false;
  return CategoryOf(cp) == GeneralCategory::kMn && AssignedBy(cp, 8, 0);
}

void AppendDecomposition(char32_t cp, std::u32string* out) {
  if (cp < 0xC0) {  // nothing below U+00C0 decomposes
    out->push_back(cp);
    return;
  }
  if (AppendHangul(cp, out)) return;
  if (!AppendRecord(tables().decompositions, cp, out)) out->push_back(cp);
}

void AppendCompatDecomposition(char32_t cp, std::u32string* out) {
  if (cp < 0xA0) {  // nothing below U+00A0 decomposes
    out->push_back(cp);
    return;
  }
  if (!AppendRecord(tables().compat_decompositions, cp, out)) AppendDecomposition(cp, out);
}

uint8_t CombiningClass(char32_t cp) {
  if (cp < 0x300) return 0;
  return static_cast<uint8_t>(RangeValue(tables().combining_class, 8, cp));
}

char32_t Compose(char32_t a, char32_t b) {
  if (a >= kLeadBase && a < kLeadBase + kLeadCount && b >= kVowelBase && b < kVowelBase + kVowelCount) {
    return kHangulBase + ((a - kLeadBase) * kVowelCount + (b - kVowelBase)) * kTrailCount;
  }
  if (a >= kHangulBase && a < kHangulBase + kHangulCount && (a - kHangulBase) % kTrailCount == 0 &&
      b > kTrailBase && b < kTrailBase + kTrailCount) {
    return a + (b - kTrailBase);
  }
  if (a > 0x1FFFFF || b > 0x1FFFFF) return 0;
  const uint64_t key = (static_cast<uint64_t>(a) << 21) | b;
  const std::vector<uint64_t>& keys = tables().composition_keys;
  const std::vector<uint32_t>& values = tables().composition_values;
  auto it = std::lower_bound(keys.begin(), keys.end(), key);
  return it != keys.end() && *it == key ? values[it - keys.begin()] : 0;
}

void AppendLowercase(char32_t cp, std::u32string* out) {
  if (cp < 0x80) {
    out->push_back(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
    return;
  }
  if (AppendRecord(tables().lower_multi, cp, out)) return;
  const std::vector<int32_t>& runs = tables().lower_runs;
  // The last run starting at or before cp is the only one that can hold it (runs do not overlap).
  const int32_t c = static_cast<int32_t>(cp);
  size_t lo = 0, hi = runs.size() / 4;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (runs[mid * 4] <= c) lo = mid + 1; else hi = mid;
  }
  if (lo > 0) {
    const int32_t* run = runs.data() + (lo - 1) * 4;
    const int32_t start = run[0], count = run[1], stride = run[2], delta = run[3];
    if (c <= start + (count - 1) * stride && (c - start) % stride == 0) {
      out->push_back(static_cast<char32_t>(c + delta));
      return;
    }
  }
  out->push_back(cp);
}

GraphemeBreak GraphemeBreakOf(char32_t cp) {
  if (cp >= 0x20 && cp < 0x7F) return GraphemeBreak::kOther;
  return static_cast<GraphemeBreak>(RangeValue(tables().grapheme_break, 5, cp));
}

size_t GraphemeEnd(std::u32string_view text, size_t begin) {
  using G = GraphemeBreak;
  if (begin >= text.size()) return text.size();
  G prev = GraphemeBreakOf(text[begin]);
  int regional = prev == G::kRegionalIndicator ? 1 : 0;  // regional indicators in the current run
  // GB11: ExtPict Extend* ZWJ × ExtPict. 1 = after ExtPict Extend*, 2 = after that and a ZWJ.
  int emoji = prev == G::kExtPict ? 1 : 0;
  size_t at = begin + 1;
  for (; at < text.size(); ++at) {
    const G next = GraphemeBreakOf(text[at]);
    bool join;
    if (prev == G::kCR && next == G::kLF) {
      join = true;  // GB3
    } else if (prev == G::kControl || prev == G::kCR || prev == G::kLF || next == G::kControl || next == G::kCR ||
               next == G::kLF) {
      join = false;  // GB4, GB5
    } else if (prev == G::kL && (next == G::kL || next == G::kV || next == G::kLV || next == G::kLVT)) {
      join = true;  // GB6
    } else if ((prev == G::kLV || prev == G::kV) && (next == G::kV || next == G::kT)) {
      join = true;  // GB7
    } else if ((prev == G::kLVT || prev == G::kT) && next == G::kT) {
      join = true;  // GB8
    } else if (next == G::kExtend || next == G::kZWJ || next == G::kSpacingMark || prev == G::kPrepend) {
      join = true;  // GB9, GB9a, GB9b
    } else if (emoji == 2 && next == G::kExtPict) {
      join = true;  // GB11
    } else if (prev == G::kRegionalIndicator && next == G::kRegionalIndicator) {
      join = regional % 2 == 1;  // GB12, GB13
    } else {
      join = false;  // GB999
    }
    if (!join) break;
    // Track GB11's and GB12/13's state over the joined char.
    if (next == G::kExtPict) {
      emoji = 1;
    } else if (next == G::kZWJ) {
      emoji = emoji == 1 ? 2 : 0;
    } else if (next != G::kExtend || emoji != 1) {
      emoji = 0;
    }
    regional = next == G::kRegionalIndicator ? regional + 1 : 0;
    prev = next;
  }
  return at;
}

int ScriptOf(char32_t cp) {
  return static_cast<int>(RangeValue(tables().script, 8, cp));
}

int ScriptByName(std::string_view name) {
  // Loose matching: case, spaces, '_' and '-' are ignored ("Old_Italic" = "old italic").
  auto loose = [](std::string_view s) {
    std::string out;
    for (char c : s) {
      if (c == ' ' || c == '_' || c == '-') continue;
      out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
    }
    return out;
  };
  const std::string wanted = loose(name);
  for (size_t i = 0; i < t::kScriptNamesSize; ++i) {
    if (wanted == loose(t::kScriptNames[i])) return static_cast<int>(i);
  }
  return -1;
}

bool AssignedBy(char32_t cp, int major, int minor) {
  return static_cast<int>(RangeValue(tables().age, 8, cp)) <= major * 10 + minor;
}

void PrepareTables() { tables(); }

}  // namespace bt::tokenizers::unicode
