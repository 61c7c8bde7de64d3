// Declarations of the generated tables in unicode_tables.cc (tools/gen_unicode_tables.py).
// Only unicode.cc reads them; everything else goes through unicode.h.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bt::tokenizers::unicode_tables {

// Sorted `start << 5 | GeneralCategory`: the category holds from `start` up to the next entry's start.
extern const uint32_t kCategoryRanges[];
extern const size_t kCategoryRangesSize;

// Records `cp | length << 21` followed by `length` code points, sorted by cp: the full canonical
// decomposition (NFD) of cp. Hangul syllables are decomposed arithmetically instead.
extern const uint32_t kDecompositions[];
extern const size_t kDecompositionsSize;

// Records as kDecompositions: the full compatibility decomposition (NFKD) of the code points
// whose NFKD differs from their NFD.
extern const uint32_t kCompatDecompositions[];
extern const size_t kCompatDecompositionsSize;

// Sorted `start << 8 | canonical combining class`, as kCategoryRanges.
extern const uint32_t kCombiningClassRanges[];
extern const size_t kCombiningClassRangesSize;

// Primary composites: kCompositionKeys[i] = first << 21 | second (sorted) composes to
// kCompositionValues[i]. Hangul syllables are composed arithmetically instead.
extern const uint64_t kCompositionKeys[];
extern const size_t kCompositionKeysSize;
extern const uint32_t kCompositionValues[];
extern const size_t kCompositionValuesSize;

// Quadruples (start, count, stride, delta): start + k*stride lowercases to itself + delta.
extern const int32_t kLowerRuns[];
extern const size_t kLowerRunsSize;

// Records as kDecompositions: lowercase mappings to more than one code point.
extern const uint32_t kLowerMulti[];
extern const size_t kLowerMultiSize;

// Sorted `start << 5 | GraphemeBreak` (Extended_Pictographic folded in as its own value).
extern const uint32_t kGraphemeBreakRanges[];
extern const size_t kGraphemeBreakRangesSize;

// Inversion list of the Alphabetic property: ranges [list[2i], list[2i+1]).
extern const uint32_t kAlphabetic[];
extern const size_t kAlphabeticSize;

// Sorted `start << 8 | script index` into kScriptNames ("Unknown" is 0).
extern const uint32_t kScriptRanges[];
extern const size_t kScriptRangesSize;
extern const char* const kScriptNames[];
extern const size_t kScriptNamesSize;

// Sorted `start << 8 | version`: the Unicode version a code point was assigned in, as
// major * 10 + minor (14.0 is 140), 255 for unassigned code points.
extern const uint32_t kAgeRanges[];
extern const size_t kAgeRangesSize;

}  // namespace bt::tokenizers::unicode_tables
