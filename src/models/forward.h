// The one forward pass: embeddings -> encoder layers -> head (and pooler), over a model's arena.
// Inference (Model::Forward), explanations (src/explain) and, later, training all run it:
//   plan   ForwardArenaBytes: every buffer the spec needs (activations, kernel scratch, the tape, the
//          backward's buffers), laid out by the same code that hands them out (core/arena.h)
//   run    RunForward: reserve the arena once (grown only when a larger shape arrives), then run
//   back   RunBackward (over a taped pass): head backward, then the encoder's, block by block
// Nothing here allocates per layer or per call beyond the arena (and the tape's small index).
#pragma once

#include <cstdint>

#include "core/arena.h"
#include "core/status.h"
#include "core/thread_pool.h"
#include "models/model_parts.h"
#include "models/tape.h"

namespace bt {

class BackwardWeights;

// Rows of the encoder's output a head reads: rows[i] when `rows` is set, else the first `count` rows.
struct RowSelection {
  const int32_t* rows = nullptr;
  int32_t count = 0;
};

struct ForwardSpec {
  EncoderInput input;  // validated (ValidateEncoderInput)
  // Prune: the last layer computes only these flat token indices (increasing), written compactly to
  // the first rows of the output. Only without a tape, all_hidden and attentions.
  const int32_t* last_layer_rows = nullptr;
  int32_t last_layer_count = 0;
  bool run_head = false;
  RowSelection head_rows;
  bool run_pooler = false;
  RowSelection pooler_rows;
  float* hidden = nullptr;      // [m, H] where the last hidden state goes; null: the arena
  float* all_hidden = nullptr;  // null or [layers + 1, m, H]
  float* attentions = nullptr;  // null or [layers, batch, heads, seq, seq]
  bool tape = false;            // record what the backward pass needs
  TapeContents tape_contents = TapeContents::kInputGradients;
  // With a tape: record only applied layers >= this one (0: every layer and the embeddings). Training
  // the last N layers needs no more; the backward must then stop there (EncoderGrads::first_layer).
  int32_t tape_from_layer = 0;
  // With a tape: also plan the backward pass's buffers (its weights decide the kernel scratch).
  const BackwardWeights* backward = nullptr;
  // With a tape (training): dropout in the forward, its masks recomputed by the backward (dropout.h).
  Dropout dropout;
};

// The backward pass's buffers, laid out with the forward's when the spec asks for them.
struct BackwardBuffers {
  float* dhidden = nullptr;  // [m, H]
  float* drows = nullptr;    // [head rows, H]
  HeadBuffers head;
  EncoderBackwardBuffers encoder;
};

// A run's results: pointers into the arena (or the spec's buffers), valid until the next run.
struct ForwardPass {
  int32_t rows = 0;               // rows of `hidden` the last layer wrote (m, or the pruned count)
  const float* hidden = nullptr;  // [rows, H]
  const float* head = nullptr;    // [head_rows.count, head output] when run_head
  const float* pooled = nullptr;  // [pooler_rows.count, H] when run_pooler
  RowSelection head_rows;
  Tape tape;                 // when spec.tape
  BackwardBuffers backward;  // when spec.backward
};

// Bytes of arena the spec needs.
uint64_t ForwardArenaBytes(const ModelParts& parts, const ForwardSpec& spec, const ThreadPool& pool);

// Reserves the arena (OUT_OF_MEMORY when it cannot grow) and runs the spec.
Result<ForwardPass> RunForward(const ModelParts& parts, const ForwardSpec& spec, Arena& arena, ThreadPool& pool);

struct BackwardRequest {
  const float* dhead = nullptr;      // [head rows, head output]: the gradient w.r.t. the head's output
  float* dword = nullptr;            // [m, E]: the gradient w.r.t. the word vectors
  float* const* dprobs = nullptr;    // optional, per applied layer [batch, heads, seq, seq]
  float* dembedded = nullptr;        // optional [m, E]: w.r.t. the embeddings' LayerNorm output
  const EncoderGrads* grads = nullptr;    // optional parameter gradients (kParameterGradients tape)
  const HeadGrads* head_grads = nullptr;  // optional parameter gradients of the head
};

// Backward over a pass run with a tape and a backward plan (spec.backward = &bw).
Status RunBackward(const ModelParts& parts, const BackwardWeights& bw, const ForwardPass& pass,
                   const BackwardRequest& request, ThreadPool& pool);

}  // namespace bt
