// libFuzzer target "tokenizer_json": see bt::fuzz::FuzzTokenizerJson in fuzz_entry_points.h. Built by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>

#include "fuzz_entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return bt::fuzz::FuzzTokenizerJson(data, size); }
