#include "nn/layers/linear.h"

#include "core/error.h"

namespace convoy {

Linear::Linear(int64_t in_features, int64_t out_features)
    : in_features_(in_features), out_features_(out_features) {
  CONVOY_CHECK(in_features > 0 && out_features > 0, "bad linear settings");
  weight_.name = "weight";
  weight_.value = Tensor::zeros(Shape{out_features, in_features});
  weight_.grad = Tensor::zeros(weight_.value.shape());
  weight_.fan_in = in_features;
  weight_.fan_out = out_features;
  bias_.name = "bias";
  bias_.value = Tensor::zeros(Shape{out_features});
  bias_.grad = Tensor::zeros(bias_.value.shape());
  bias_.is_bias = true;
  bias_.fan_in = in_features;
  bias_.fan_out = out_features;
}

Shape Linear::output_shape(const Shape& in) const {
  CONVOY_CHECK(in.rank() >= 2 && in.per_sample() == in_features_, name_, " expects ",
               in_features_, " features per sample, got ", in.to_string());
  return Shape{in[0], out_features_};
}

const Tensor& Linear::forward(const Tensor& x, const StepContext&) {
  output_shape(x.shape());
  if (!op_ || op_device_ != x.device()) op_ = backend_for(op_device_ = x.device()).make_linear();
  input_shape_ = x.shape();
  input_2d_ = as_plain(x, plain_input_).view(Shape{x.dim(0), in_features_});
  op_->forward(input_2d_, weight_.value, bias_.value, output_);
  return output_;
}

const Tensor& Linear::backward(const Tensor& dy, bool need_input_grad,
                               const BackwardContext& ctx) {
  CONVOY_CHECK(op_ && input_2d_.defined(), name_, ": backward before forward");
  op_->backward_weights(input_2d_, dy, weight_.grad, bias_.grad, ctx.accumulate);
  if (ctx.on_ready) {
    ctx.on_ready(bias_);
    ctx.on_ready(weight_);
  }
  if (!need_input_grad) return undefined_;
  op_->backward_data(dy, weight_.value, grad_input_);
  grad_input_view_ = grad_input_.view(input_shape_);
  return grad_input_view_;
}

}  // namespace convoy
