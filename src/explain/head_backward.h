// Backward through a head program (kernels of head.h) on the rows TraceHead ran: from the gradient
// of the head's output to the gradient of those rows of the encoder's last hidden state.
#pragma once

#include <vector>

#include "core/thread_pool.h"
#include "explain/forward_trace.h"
#include "models/head.h"

namespace bt {

// doutput: [trace.rows, output_size]. drows: [trace.rows, hidden_size] (resized).
void HeadBackward(const HeadProgram& head, const HeadTrace& trace, const float* doutput, std::vector<float>& drows,
                  ThreadPool& pool);

}  // namespace bt
