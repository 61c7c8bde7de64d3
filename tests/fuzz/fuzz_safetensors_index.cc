// libFuzzer target "safetensors_index": see bt::fuzz::FuzzSafetensorsIndex in fuzz_entry_points.h. Built by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>

#include "fuzz_entry_points.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return bt::fuzz::FuzzSafetensorsIndex(data, size); }
