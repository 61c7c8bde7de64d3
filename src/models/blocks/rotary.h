// Block: rotary position embeddings (Su et al. 2021, RoFormer), as ModernBERT applies them to the
// queries and keys of every head after the q|k|v projection:
//   q' = q·cos(p·θ) + rotate_half(q)·sin(p·θ),   rotate_half([a, b]) = [-b, a]
// with θ_i = base^(-2i/head_dim) for i < head_dim/2, the angle shared by dims i and i + head_dim/2.
// The tables are built once at load (float32 angles as Hugging Face computes them: inv_freq in float32,
// p·inv_freq in float32, then cos/sin rounded from double). The backward is the inverse rotation.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace bt {

struct RotaryTable {
  double base = 0.0;
  int32_t head_dim = 0, positions = 0;
  std::vector<float> cos, sin;  // [positions, head_dim / 2]
};

// The table for positions [0, positions).
std::shared_ptr<const RotaryTable> MakeRotaryTable(double base, int32_t head_dim, int32_t positions);

// Rotates `rows` token rows in place: heads × head_dim values from x + r*stride, the row's flat token
// index tokens[r] (or r when tokens is null) at position index % seq. inverse: the transpose (backward).
void ApplyRotary(const RotaryTable& table, float* x, int64_t stride, int32_t rows, int32_t heads,
                 const int32_t* tokens, int32_t seq, bool inverse);

}  // namespace bt
