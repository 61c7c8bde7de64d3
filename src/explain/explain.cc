#include "explain/explain.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <utility>

#include "explain/methods.h"
#include "explain/session.h"

namespace bt {
namespace {

int32_t CountWords(const std::vector<int32_t>& words) {
  int32_t n = 0;
  for (int32_t w : words) n = std::max(n, w + 1);
  return n;
}

bool NeedsGradients(ExplainMethod m) {
  return m == ExplainMethod::kGradXInput || m == ExplainMethod::kIntegratedGradients ||
         m == ExplainMethod::kGradientWeightedRollout;
}

Result<Prediction> Predict(const ModelParts& parts, Arena& arena, const SequenceInput& in, const Target& target,
                           const float* x, ThreadPool& pool) {
  BT_ASSIGN_OR_RETURN(const std::vector<float> head, TargetHeadOutput(parts, arena, in, target, x, pool));
  Prediction p;
  p.target = ResolveTarget(parts, target, head.data(), in.mask.data(), in.seq);
  const std::vector<double> z = TargetLogits(parts, p.target, head.data(), in.mask.data(), in.seq);
  // ELECTRA's discriminator has one logit per token: its probability is the sigmoid.
  const std::vector<double> prob = parts.head == HeadKind::kReplacedTokenDetection
                                       ? std::vector<double>{1.0 / (1.0 + std::exp(-z[0]))}
                                       : Softmax(z);
  const int32_t c = parts.head == HeadKind::kQuestionAnswering ? p.target.position : p.target.index;
  p.value = TargetValue(parts, p.target, head.data(), in.mask.data(), in.seq, nullptr);
  p.logit = z[c];
  p.probability = prob[c];
  std::vector<int32_t> order(z.size());
  std::iota(order.begin(), order.end(), 0);
  const size_t k = std::min<size_t>(5, order.size());
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int32_t a, int32_t b) { return z[a] > z[b]; });
  p.argmax = order[0];
  p.argmax_probability = prob[order[0]];
  for (size_t i = 0; i < k; ++i) {
    p.top.push_back(order[i]);
    p.top_probabilities.push_back(prob[order[i]]);
  }
  return p;
}

// Word sums from token values, or (perturbation methods) token shares from word values.
void Aggregate(const std::vector<int32_t>& words, int32_t num_words, Explanation& out) {
  if (out.words.empty()) {
    out.words.assign(static_cast<size_t>(num_words), 0.0);
    for (size_t t = 0; t < words.size(); ++t) {
      if (words[t] >= 0) out.words[words[t]] += out.tokens[t];
    }
    return;
  }
  std::vector<int32_t> sizes(static_cast<size_t>(num_words), 0);
  for (int32_t w : words) {
    if (w >= 0) ++sizes[w];
  }
  out.tokens.assign(words.size(), 0.0);
  for (size_t t = 0; t < words.size(); ++t) {
    if (words[t] >= 0) out.tokens[t] = out.words[words[t]] / sizes[words[t]];
  }
}

}  // namespace

Result<ExplainMethod> ParseExplainMethod(const std::string& name) {
  for (ExplainMethod m : {ExplainMethod::kGradXInput, ExplainMethod::kIntegratedGradients, ExplainMethod::kOcclusion,
                          ExplainMethod::kLime, ExplainMethod::kAttentionRollout, ExplainMethod::kGradientWeightedRollout}) {
    if (name == ExplainMethodName(m)) return m;
  }
  return Status::InvalidArgument("explain: unknown method '" + name +
                       "' (grad_x_input, integrated_gradients, occlusion, lime, attention_rollout, "
                       "gradient_weighted_rollout)");
}

const char* ExplainMethodName(ExplainMethod method) {
  switch (method) {
    case ExplainMethod::kGradXInput: return "grad_x_input";
    case ExplainMethod::kIntegratedGradients: return "integrated_gradients";
    case ExplainMethod::kOcclusion: return "occlusion";
    case ExplainMethod::kLime: return "lime";
    case ExplainMethod::kAttentionRollout: return "attention_rollout";
    case ExplainMethod::kGradientWeightedRollout: return "gradient_weighted_rollout";
  }
  return "?";
}

bool UsesZeroBaseline(ExplainMethod method, Baseline baseline) {
  return baseline == Baseline::kZero || (baseline == Baseline::kDefault && method == ExplainMethod::kGradXInput);
}

Status ValidateExplainRequest(const ModelParts& parts, const ExplainRequest& r) {
  const int32_t seq = static_cast<int32_t>(r.ids.size());
  if (seq == 0) return Status::InvalidArgument("explain: empty input");
  if (r.words.size() != r.ids.size() || (!r.type_ids.empty() && r.type_ids.size() != r.ids.size())) {
    return Status::InvalidArgument("explain: words and type ids need one entry per token");
  }
  for (int32_t w : r.words) {
    if (w < -1 || w >= seq) return Status::InvalidArgument("explain: word index " + std::to_string(w) + " out of range");
  }
  if (CountWords(r.words) == 0) return Status::InvalidArgument("explain: the text has no words to attribute");
  if (r.steps < 1 || r.steps > kMaxSteps) {
    return Status::InvalidArgument("explain: steps must be in [1, " + std::to_string(kMaxSteps) + "], got " + std::to_string(r.steps));
  }
  if (r.samples < 1 || r.samples > kMaxSamples) {
    return Status::InvalidArgument("explain: samples must be in [1, " + std::to_string(kMaxSamples) + "], got " +
                         std::to_string(r.samples));
  }
  if (!(r.kernel_width > 0.0) || !(r.ridge_alpha >= 0.0)) {
    return Status::InvalidArgument("explain: kernel_width must be > 0 and ridge_alpha >= 0");
  }
  if (r.max_batch_tokens < 1) return Status::InvalidArgument("explain: max_batch_tokens must be positive");
  if (r.baseline_id < 0 || r.baseline_id >= parts.encoder.vocab_size) {
    return Status::InvalidArgument("explain: baseline token id " + std::to_string(r.baseline_id) + " is outside the vocabulary");
  }
  std::vector<int32_t> ones(r.ids.size(), 1);
  EncoderInput in{1, seq, r.ids.data(), r.type_ids.empty() ? nullptr : r.type_ids.data(), ones.data()};
  BT_RETURN_IF_ERROR(ValidateEncoderInput(parts.encoder, in).WithContext("explain"));
  return ValidateTarget(parts, r.target, seq);
}

Explainer::Explainer(Model& model) : model_(model) {}
Explainer::~Explainer() = default;

Result<Explanation> Explainer::Explain(const ExplainRequest& r, ThreadPool& pool) {
  BT_ASSIGN_OR_RETURN(std::unique_ptr<ExplainSession> session, Begin(r, pool));
  return session->Finish(pool);
}

Result<std::unique_ptr<ExplainSession>> Explainer::Begin(const ExplainRequest& r, ThreadPool& pool) {
  BT_RETURN_IF_ERROR(ValidateExplainRequest(model_.parts(), r));
  std::unique_ptr<ExplainSession> session(new ExplainSession(model_, &weights_, r));
  if (NeedsGradients(r.method) && !weights_.built()) {
    session->to_prepare_ = BackwardWeights::EncoderLinears(model_.parts().encoder);
    session->preparing_ = std::make_unique<BackwardWeights>();
  }
  const Status started = session->Start(pool);
  if (!started.ok()) return started;  // the destructor trims the arena
  return Result<std::unique_ptr<ExplainSession>>(std::move(session));
}

// ExplainSession (explain/session.h).

ExplainSession::ExplainSession(Model& model, BackwardWeights* weights, const ExplainRequest& request)
    : model_(model), weights_(weights), request_(request) {}

ExplainSession::~ExplainSession() { model_.TrimArena(); }  // the taped batches needed more than inference

MethodContext ExplainSession::Context(ThreadPool& pool) const {
  return MethodContext{model_.parts(), model_.arena(), weights_, input_, out_.prediction.target, request_,
                       x_, baseline_, num_words_, pool};
}

Status ExplainSession::Start(ThreadPool& pool) {
  const ModelParts& parts = model_.parts();
  const ExplainRequest& r = request_;
  input_.seq = static_cast<int32_t>(r.ids.size());
  input_.ids = r.ids;
  input_.type_ids = r.type_ids;
  input_.mask.assign(r.ids.size(), 1);
  const int32_t e = parts.encoder.embedding_size;
  x_.assign(static_cast<size_t>(input_.seq) * e, 0.0f);
  baseline_.assign(x_.size(), 0.0f);
  std::vector<float> pad(static_cast<size_t>(e), 0.0f);
  GatherWordEmbeddings(parts.encoder.embeddings, input_.ids.data(), input_.seq, x_.data());
  if (!UsesZeroBaseline(r.method, r.baseline)) GatherWordEmbeddings(parts.encoder.embeddings, &r.baseline_id, 1, pad.data());
  for (int32_t t = 0; t < input_.seq; ++t) {
    const float* src = r.words[t] < 0 ? x_.data() + static_cast<size_t>(t) * e : pad.data();
    std::copy(src, src + e, baseline_.begin() + static_cast<size_t>(t) * e);
  }
  BT_ASSIGN_OR_RETURN(out_.prediction, Predict(parts, model_.arena(), input_, r.target, x_.data(), pool));
  out_.forward_sequences = 1;
  num_words_ = CountWords(r.words);
  passes_ = MakeMethodPasses(Context(pool));
  return Status::Ok();
}

Status ExplainSession::Prepare() {
  const PackedLinear* w = to_prepare_[static_cast<size_t>(prepared_)];
  // Another session of the explainer may have finished them meanwhile: then nothing is left to do.
  if (!weights_->built()) {
    if (w == nullptr) return Status::Internal("backward: the encoder has a missing linear layer");
    BT_RETURN_IF_ERROR(preparing_->Add(*w));
  }
  if (++prepared_ == static_cast<int64_t>(to_prepare_.size())) {
    if (!weights_->built()) *weights_ = std::move(*preparing_);
    preparing_.reset();
  }
  return Status::Ok();
}

Status ExplainSession::Step(int64_t batches, ThreadPool& pool) {
  if (!failed_.ok()) return failed_;
  if (finished_) return Status::InvalidArgument("explain: the session has finished");
  if (batches < 1) return Status::InvalidArgument("explain: step needs a positive batch count");
  const MethodContext c = Context(pool);
  const int64_t preparing = static_cast<int64_t>(to_prepare_.size());
  for (int64_t i = 0; i < batches && next_ < passes_->batches(); ++i) {
    const bool prepare = prepared_ < preparing;
    const Status s = prepare ? Prepare() : passes_->RunBatch(c, next_, out_);
    if (!s.ok()) {
      failed_ = s;
      preparing_.reset();
      model_.TrimArena();
      return s;
    }
    if (!prepare) ++next_;
  }
  return Status::Ok();
}

Result<Explanation> ExplainSession::Finish(ThreadPool& pool) {
  const int64_t left = passes_ != nullptr ? batches_total() - batches_done() : 0;
  if (left > 0) BT_RETURN_IF_ERROR(Step(left, pool));
  if (!failed_.ok()) return failed_;
  if (finished_) return Status::InvalidArgument("explain: the session has finished");
  finished_ = true;
  const Status ended = passes_->End(Context(pool), out_);
  model_.TrimArena();
  if (!ended.ok()) return ended;
  Aggregate(request_.words, num_words_, out_);
  return Result<Explanation>(std::move(out_));
}

const char* ExplainSession::unit() const { return passes_->unit(); }
int64_t ExplainSession::done() const { return passes_->ItemsAfter(next_); }
int64_t ExplainSession::total() const { return passes_->items(); }
int64_t ExplainSession::batches_total() const { return static_cast<int64_t>(to_prepare_.size()) + passes_->batches(); }

// The method table: MethodPasses of each method (explain/methods.h).

namespace {

// A one-pass method (gradient × input, the rollouts): one batch that computes the whole result.
class OnePass : public MethodPasses {
 public:
  explicit OnePass(Status (*method)(const MethodContext&, Explanation&)) : method_(method) {}
  const char* unit() const override { return "sequences"; }
  int64_t items() const override { return 1; }
  int64_t batches() const override { return 1; }
  int64_t ItemsAfter(int64_t b) const override { return std::min<int64_t>(1, b); }
  Status RunBatch(const MethodContext& c, int64_t, Explanation& out) override { return method_(c, out); }
  Status End(const MethodContext&, Explanation&) override { return Status::Ok(); }

 private:
  Status (*method_)(const MethodContext&, Explanation&);
};

}  // namespace

int32_t ItemsPerBatch(const MethodContext& c, int32_t count) {
  return std::max(1, std::min(count, c.request.max_batch_tokens / std::max(1, c.input.seq)));
}

std::unique_ptr<MethodPasses> MakeMethodPasses(const MethodContext& c) {
  switch (c.request.method) {
    case ExplainMethod::kGradXInput: return std::make_unique<OnePass>(GradXInput);
    case ExplainMethod::kIntegratedGradients: return IntegratedGradientsPasses(c);
    case ExplainMethod::kOcclusion: return OcclusionPasses(c);
    case ExplainMethod::kLime: return LimePasses(c);
    case ExplainMethod::kAttentionRollout: return std::make_unique<OnePass>(AttentionRollout);
    case ExplainMethod::kGradientWeightedRollout: return std::make_unique<OnePass>(GradientWeightedRollout);
  }
  return std::make_unique<OnePass>(GradXInput);
}

}  // namespace bt
