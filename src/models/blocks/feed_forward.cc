#include "models/blocks/feed_forward.h"

#include <cstring>

#include "kernels/activation.h"
#include "models/blocks/geglu.h"
#include "models/backward_weights.h"

namespace bt {

void FeedForwardForward(const FeedForwardWeights& w, const FeedForwardIO& io, const FeedForwardBuffers& buffers,
                        FeedForwardTape* tape, ThreadPool& pool) {
  const int32_t inter = w.in->n();
  float* act = buffers.inner;
  if (w.kind == FeedForwardKind::kGeGLU) {
    float* pre = tape != nullptr ? tape->pre : buffers.inner;
    LinearForward(*w.in, io.h, io.rows, Activation::kNone, nullptr, pre, pool, nullptr, buffers.gemm);
    if (tape != nullptr) {
      if (tape->act != nullptr) act = tape->act;
      tape->h = io.h;
    }
    GegluForward(w.activation, pre, io.rows, inter / 2, act);
    LinearForward(*w.out, act, io.rows, Activation::kNone, io.residual, io.out, pool, nullptr, buffers.gemm);
    return;
  }
  if (tape == nullptr) {
    LinearForward(*w.in, io.h, io.rows, w.activation, nullptr, act, pool, nullptr, buffers.gemm);
  } else {
    // The pre-activation is kept; the activation is element-wise, so applying it apart from the GEMM
    // gives the fused call's values bit for bit.
    LinearForward(*w.in, io.h, io.rows, Activation::kNone, nullptr, tape->pre, pool, nullptr, buffers.gemm);
    if (tape->act != nullptr) act = tape->act;
    const int64_t values = static_cast<int64_t>(io.rows) * inter;
    std::memcpy(act, tape->pre, sizeof(float) * values);
    ApplyActivation(w.activation, act, values);
    tape->h = io.h;
  }
  LinearForward(*w.out, act, io.rows, Activation::kNone, io.residual, io.out, pool, nullptr, buffers.gemm);
}

void FeedForwardBackward(const FeedForwardWeights& w, const BackwardWeights& bw, int32_t rows,
                         const FeedForwardTape& tape, float* dx, const FeedForwardBackwardBuffers& buffers,
                         const FeedForwardGrads* grads, ThreadPool& pool, bool add_residual) {
  const int32_t h = w.out->n(), inter = w.in->n();
  const int32_t width = w.kind == FeedForwardKind::kGeGLU ? inter / 2 : inter;  // W2's input
  if (grads != nullptr) AccumulateLinearGrads(tape.act, dx, rows, h, width, grads->out, pool);
  LinearBackward(*bw.Transposed(*w.out), dx, rows, false, buffers.dinner, pool, buffers.gemm);
  if (w.kind == FeedForwardKind::kGeGLU) {
    GegluBackward(w.activation, tape.pre, buffers.dinner, rows, width, buffers.dinner);
  } else {
    ActivationBackward(w.activation, tape.pre, buffers.dinner, static_cast<int64_t>(rows) * inter);
  }
  if (grads != nullptr) AccumulateLinearGrads(tape.h, buffers.dinner, rows, inter, h, grads->in, pool);
  // + the residual when h is also the residual (post-norm)
  LinearBackward(*bw.Transposed(*w.in), buffers.dinner, rows, add_residual, dx, pool, buffers.gemm);
}

}  // namespace bt
