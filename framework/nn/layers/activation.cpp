#include "nn/layers/activation.h"

#include "core/error.h"

namespace convoy {

const Tensor& Activation::forward(const Tensor& x, const StepContext&) {
  if (fused_) {
    output_ = x;
    return output_;
  }
  if (!op_ || op_device_ != x.device()) op_ = backend_for(op_device_ = x.device()).make_activation(kind_);
  op_->forward(x, output_);
  return output_;
}

const Tensor& Activation::backward(const Tensor& dy, bool need_input_grad,
                                   const BackwardContext&) {
  if (fused_) {
    grad_input_ = need_input_grad ? dy : Tensor();
    return grad_input_;
  }
  CONVOY_CHECK(op_, name_, ": backward before forward");
  if (!need_input_grad) return undefined_;
  op_->backward(output_, dy, grad_input_);
  return grad_input_;
}

}  // namespace convoy
