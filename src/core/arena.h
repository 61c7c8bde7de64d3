// Arena: one block of memory that a model's forward (and backward) pass carves all its buffers from,
// planned for a shape and reused by every call of that shape or smaller (ggml's "plan, then compute").
//
// A pass lays its regions out with an ArenaLayout, in the same code twice: first measuring (no memory:
// the layout only adds up sizes), then placing (over the reserved arena: the same sizes, in the same
// order, now with addresses). Plan and run therefore cannot disagree about a region's size.
//
// One arena per model, never shared between models or threads (the kernels' scratch lives in it too).
#pragma once

#include <cstddef>
#include <cstdint>

namespace bt {

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() { Release(); }

  // Makes the arena at least `bytes` long (contents are not kept when it grows). false when the
  // allocation fails (or `bytes` exceeds the address space); the arena is then empty.
  bool Reserve(uint64_t bytes);
  // Frees the block (the next Reserve allocates again).
  void Release();
  std::byte* data() const { return data_; }
  size_t capacity() const { return capacity_; }

 private:
  std::byte* data_ = nullptr;
  size_t capacity_ = 0;
};

class ArenaLayout {
 public:
  static constexpr size_t kAlignment = 64;  // a cache line; every region starts on one

  // Measuring: Take returns nullptr and only counts.
  ArenaLayout() = default;
  // Placing: Take hands out consecutive regions of `arena` (which must hold the measured bytes).
  explicit ArenaLayout(const Arena& arena) : base_(arena.data()), capacity_(arena.capacity()) {}

  // A region of `count` T (none when count <= 0: nullptr); nullptr while measuring. Sizes add up in
  // 64 bits (also in wasm32, where a plan larger than memory must be refused, not wrapped around).
  template <class T>
  T* Take(int64_t count) {
    if (count <= 0) return nullptr;
    const uint64_t at = used_;
    used_ += (static_cast<uint64_t>(count) * sizeof(T) + kAlignment - 1) / kAlignment * kAlignment;
    if (base_ == nullptr || used_ > capacity_) return nullptr;
    return reinterpret_cast<T*>(base_ + at);
  }
  uint64_t bytes() const { return used_; }
  bool measuring() const { return base_ == nullptr; }

 private:
  std::byte* base_ = nullptr;
  uint64_t capacity_ = 0;
  uint64_t used_ = 0;
};

}  // namespace bt
