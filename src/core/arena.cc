#include "core/arena.h"

#include <cstdint>
#include <cstdlib>

namespace bt {

bool Arena::Reserve(uint64_t bytes) {
  if (bytes <= capacity_) return true;
  Release();
  if (bytes > SIZE_MAX - ArenaLayout::kAlignment) return false;
  const size_t rounded = (static_cast<size_t>(bytes) + ArenaLayout::kAlignment - 1) / ArenaLayout::kAlignment *
                         ArenaLayout::kAlignment;
  void* block = std::aligned_alloc(ArenaLayout::kAlignment, rounded);
  if (block == nullptr) return false;
  data_ = static_cast<std::byte*>(block);
  capacity_ = rounded;
  return true;
}

void Arena::Release() {
  std::free(data_);
  data_ = nullptr;
  capacity_ = 0;
}

}  // namespace bt
