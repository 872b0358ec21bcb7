#include "nn/layers/lrn.h"

#include <sstream>

#include "core/error.h"

namespace convoy {

Lrn::Lrn(const LrnConfig& config) : config_(config) {
  CONVOY_CHECK(config.local_size >= 1 && config.beta >= 0 && config.k >= 0 && config.alpha >= 0,
               "bad LRN settings");
}

std::string Lrn::describe() const {
  std::ostringstream s;
  s << "n" << config_.local_size << " a" << config_.alpha << " b" << config_.beta << " k"
    << config_.k;
  return s.str();
}

const Tensor& Lrn::forward(const Tensor& x, const StepContext& ctx) {
  if (!op_ || op_device_ != x.device()) op_ = backend_for(op_device_ = x.device()).make_lrn(config_);
  input_ = x;
  op_->forward(x, output_, ctx.training);
  return output_;
}

const Tensor& Lrn::backward(const Tensor& dy, bool need_input_grad, const BackwardContext&) {
  CONVOY_CHECK(op_, name_, ": backward before forward");
  if (!need_input_grad) return undefined_;
  op_->backward(input_, dy, grad_input_);
  return grad_input_;
}

}  // namespace convoy
