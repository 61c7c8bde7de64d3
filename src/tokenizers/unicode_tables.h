// Declarations of the generated tables in unicode_tables.cc (tools/gen_unicode_tables.py).
// Only unicode.cc reads them; everything else goes through unicode.h.
//
// Each table is stored packed, as unsigned LEB128 varints (~43 KB instead of ~121 KB of plain
// arrays in the wasm); unicode.cc unpacks a table once, on first use, into the plain array described
// below (`size` values), which its lookups search. Two packings (zigzag(d) = d >= 0 ? 2d : -2d - 1):
//   kPackedDeltas:  one varint zigzag(v[i] - v[i-1]) per value, v[-1] = 0 (sorted and range tables);
//   kPackedRecords: record tables (cp | length << 21 followed by `length` code points): per record
//                   varint((cp - previous record's cp) << 3 | min(length, 7)), varint(length) if
//                   length >= 7, then zigzag(first - previous record's first) and zigzag(cp[i] - cp[i-1])
//                   for the following code points.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bt::tokenizers::unicode_tables {

enum PackedKind : uint8_t { kPackedDeltas, kPackedRecords };

struct PackedTable {
  const uint8_t* bytes;
  size_t byte_size;
  size_t size;  // values in the unpacked table
  PackedKind kind;
};

// Sorted `start << 5 | GeneralCategory`: the category holds from `start` up to the next entry's start.
extern const PackedTable kCategoryRanges;

// Records `cp | length << 21` followed by `length` code points, sorted by cp: the full canonical
// decomposition (NFD) of cp. Hangul syllables are decomposed arithmetically instead.
extern const PackedTable kDecompositions;

// Records as kDecompositions: the full compatibility decomposition (NFKD) of the code points
// whose NFKD differs from their NFD.
extern const PackedTable kCompatDecompositions;

// Sorted `start << 8 | canonical combining class`, as kCategoryRanges.
extern const PackedTable kCombiningClassRanges;

// Primary composites: kCompositionKeys[i] = first << 21 | second (uint64_t, sorted) composes to
// kCompositionValues[i]. Hangul syllables are composed arithmetically instead.
extern const PackedTable kCompositionKeys;
extern const PackedTable kCompositionValues;

// int32_t quadruples (start, count, stride, delta): start + k*stride lowercases to itself + delta.
extern const PackedTable kLowerRuns;

// Records as kDecompositions: lowercase mappings to more than one code point.
extern const PackedTable kLowerMulti;

// Sorted `start << 5 | GraphemeBreak` (Extended_Pictographic folded in as its own value).
extern const PackedTable kGraphemeBreakRanges;

// Inversion list of the Alphabetic property: ranges [list[2i], list[2i+1]).
extern const PackedTable kAlphabetic;

// Sorted `start << 8 | script index` into kScriptNames ("Unknown" is 0).
extern const PackedTable kScriptRanges;
extern const char* const kScriptNames[];
extern const size_t kScriptNamesSize;

// Sorted `start << 8 | version`: the Unicode version a code point was assigned in, as
// major * 10 + minor (14.0 is 140), 255 for unassigned code points.
extern const PackedTable kAgeRanges;

}  // namespace bt::tokenizers::unicode_tables
