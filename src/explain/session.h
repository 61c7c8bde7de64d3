// One explanation run a few batches at a time, so that a caller can yield between them (report
// progress, stay responsive, cancel): Explainer::Begin validates the request and runs the prediction,
// Step runs the method's next batches (each one batched forward, and backward for the gradient
// methods, of at most max_batch_tokens tokens), Finish runs what is left and returns the explanation.
// Explainer::Explain is Begin + Finish: the batches, their composition and the order of every
// accumulation are the same however the steps are split, so the result is bitwise the same.
// A gradient method's first session on an explainer also prepares the backward weights (Wᵀ of every
// encoder linear): one linear per batch before the method's batches (progress stays at 0), built
// aside and handed to the explainer when complete — a session dropped half-way leaves it unbuilt.
//
// Memory: the forwards run in the model's arena; the session's own buffers (the inputs' embeddings,
// IG's running quadrature sum [seq, E] in double, per-item values) are freed with it, and Finish (or
// the destructor) gives back what the taped batches grew the arena to. The model and the explainer
// must outlive the session; sessions of one model may interleave (each batch is one synchronous call).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "explain/explain.h"
#include "explain/gradient_engine.h"
#include "explain/methods.h"

namespace bt {

class MethodPasses;

class ExplainSession {
 public:
  ~ExplainSession();
  ExplainSession(const ExplainSession&) = delete;
  ExplainSession& operator=(const ExplainSession&) = delete;

  // Runs up to `batches` (>= 1) of the remaining batches.
  Status Step(int64_t batches, ThreadPool& pool);
  // Runs the remaining batches and returns the explanation; the session is spent afterwards.
  Result<Explanation> Finish(ThreadPool& pool);

  // Progress in the method's unit ("steps": IG's interpolation points, "samples": LIME's masked
  // copies, "sequences": occlusion's copies and the one-pass methods' single sequence).
  const char* unit() const;
  int64_t done() const;
  int64_t total() const;
  int64_t batches_done() const { return prepared_ + next_; }
  int64_t batches_total() const;
  bool finished() const { return finished_; }

 private:
  friend class Explainer;
  ExplainSession(Model& model, BackwardWeights* weights, const ExplainRequest& request);
  Status Start(ThreadPool& pool);
  MethodContext Context(ThreadPool& pool) const;
  // The next backward-weights batch: Wᵀ of one more linear; the last hands them to the explainer.
  Status Prepare();

  Model& model_;
  BackwardWeights* weights_;  // the explainer's
  std::vector<const PackedLinear*> to_prepare_;  // empty unless this session prepares them
  std::unique_ptr<BackwardWeights> preparing_;
  int64_t prepared_ = 0;
  ExplainRequest request_;
  SequenceInput input_;
  std::vector<float> x_, baseline_;
  int32_t num_words_ = 0;
  Explanation out_;
  std::unique_ptr<MethodPasses> passes_;
  int64_t next_ = 0;
  bool finished_ = false;
  Status failed_;  // a failed batch: every later call returns it
};

}  // namespace bt
