// libFuzzer target "encode_bpe": see bt::fuzz::FuzzEncodeBpe in fuzz_entry_points.h. Built by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>

#include "fuzz_entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return bt::fuzz::FuzzEncodeBpe(data, size); }
