// Explanation options as JSON (what the JS layer and the CLI send):
//   {"method": "integrated_gradients", "target": 1, "position": -1, "output": "probability",
//    "steps": 32, "integration": "gausslegendre" | "riemann_trapezoid", "samples": 300, "seed": 0,
//    "baseline": "pad" | "zero", "baseline_id": 0, "kernel_width": 0.25, "ridge_alpha": 1,
//    "max_batch_tokens": 1024}
// Every field is optional; wrong types are errors that name the field (names outside the contract are
// refused by the bindings, src/bindings/options.h). Without "baseline", the method's default applies
// (zero for grad_x_input, pad otherwise).
#pragma once

#include <string>

#include "core/status.h"
#include "explain/explain.h"

namespace bt {

Status ApplyExplainOptions(const std::string& json_text, ExplainRequest& request);

}  // namespace bt
