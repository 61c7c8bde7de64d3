// Declarations of the generated tables in unicode_tables.cc (tools/gen_unicode_tables.py).
// Only unicode.cc reads them; everything else goes through unicode.h.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bt::tokenizers::unicode_tables {

// Sorted `start << 3 | CharClass`: the class holds from `start` up to the next entry's start.
extern const uint32_t kClassRanges[];
extern const size_t kClassRangesSize;

// Records `cp | length << 21` followed by `length` code points, sorted by cp: the full canonical
// decomposition (NFD) of cp. Hangul syllables are decomposed arithmetically instead.
extern const uint32_t kDecompositions[];
extern const size_t kDecompositionsSize;

// Quadruples (start, count, stride, delta): start + k*stride lowercases to itself + delta.
extern const int32_t kLowerRuns[];
extern const size_t kLowerRunsSize;

// Records as kDecompositions: lowercase mappings to more than one code point.
extern const uint32_t kLowerMulti[];
extern const size_t kLowerMultiSize;

}  // namespace bt::tokenizers::unicode_tables
