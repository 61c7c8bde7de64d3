#include "explain/head_backward.h"

#include "explain/backward.h"
#include "kernels/gemm_unpack.h"

namespace bt {

void HeadBackward(const HeadProgram& head, const HeadTrace& trace, const float* doutput, std::vector<float>& drows,
                  ThreadPool& pool) {
  const int32_t rows = trace.rows;
  std::vector<float> g(doutput, doutput + trace.output.size());
  for (size_t i = head.steps.size(); i-- > 0;) {
    const HeadStep& step = head.steps[i];
    const HeadStepTrace& st = trace.steps[i];
    const int32_t width = static_cast<int32_t>(st.input.size() / (rows > 0 ? rows : 1));
    std::vector<float> dx(st.input.size(), 0.0f);
    if (step.linear) {
      ActivationBackward(step.activation, st.pre.data(), g.data(), static_cast<int64_t>(g.size()));
      AccumulateLinearInputGradient(*step.linear, g.data(), rows, dx.data());
    } else {
      LayerNormBackward(st.input.data(), step.norm.gamma.data(), step.norm.eps, g.data(), rows, width, dx.data(), pool);
    }
    g.swap(dx);
  }
  drows.swap(g);
}

}  // namespace bt
