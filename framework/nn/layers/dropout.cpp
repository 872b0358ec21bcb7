#include "nn/layers/dropout.h"

#include "backend/backend.h"
#include "core/error.h"

namespace convoy {

Dropout::Dropout(double drop_probability, uint32_t layer_id)
    : keep_(static_cast<float>(1.0 - drop_probability)), layer_id_(layer_id) {
  CONVOY_CHECK(drop_probability >= 0.0 && drop_probability < 1.0,
               "dropout probability must be in [0, 1), got ", drop_probability);
}

std::string Dropout::describe() const { return "p=" + std::to_string(1.0f - keep_).substr(0, 4); }

const Tensor& Dropout::forward(const Tensor& x, const StepContext& ctx) {
  last_forward_trained_ = ctx.training && keep_ < 1.0f;
  if (!last_forward_trained_) {
    passthrough_ = x;
    return passthrough_;
  }
  backend_for(x.device())
      .dropout_forward(as_plain(x, plain_input_), keep_, ctx.seed, ctx.step, layer_id_, ctx.sample_ids, mask_, output_);
  return output_;
}

const Tensor& Dropout::backward(const Tensor& dy, bool need_input_grad, const BackwardContext&) {
  if (!need_input_grad) return undefined_;
  if (!last_forward_trained_) {
    passthrough_ = dy;
    return passthrough_;
  }
  backend_for(dy.device()).multiply(as_plain(dy, plain_input_), mask_, grad_input_);
  return grad_input_;
}

}  // namespace convoy
