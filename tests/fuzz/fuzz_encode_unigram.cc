// libFuzzer target "encode_unigram": see bt::fuzz::FuzzEncodeUnigram in fuzz_entry_points.h. Built by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>

#include "fuzz_entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return bt::fuzz::FuzzEncodeUnigram(data, size); }
