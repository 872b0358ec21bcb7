#include "nn/layers/conv2d.h"

#include "core/error.h"

namespace convoy {

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, int64_t stride,
               int64_t padding) {
  CONVOY_CHECK(in_channels > 0 && out_channels > 0 && kernel_size > 0 && stride > 0 && padding >= 0,
               "bad conv2d settings");
  config_ = {in_channels, out_channels, kernel_size, kernel_size, stride, stride, padding, padding, std::nullopt};
  weight_.name = "weight";
  weight_.value = Tensor::zeros(Shape{out_channels, in_channels, kernel_size, kernel_size});
  weight_.grad = Tensor::zeros(weight_.value.shape());
  weight_.fan_in = in_channels * kernel_size * kernel_size;
  weight_.fan_out = out_channels * kernel_size * kernel_size;
  bias_.name = "bias";
  bias_.value = Tensor::zeros(Shape{out_channels});
  bias_.grad = Tensor::zeros(bias_.value.shape());
  bias_.is_bias = true;
  bias_.fan_in = weight_.fan_in;
  bias_.fan_out = weight_.fan_out;
}

std::string Conv2d::describe() const {
  std::string text = std::to_string(config_.kernel_h) + "x" + std::to_string(config_.kernel_w) +
                     " s" + std::to_string(config_.stride_h) + " p" + std::to_string(config_.pad_h);
  if (config_.fused_activation)
    text += *config_.fused_activation == ActivationKind::kRelu ? " +relu" : " +sigmoid";
  return text;
}

void Conv2d::fuse_activation(ActivationKind kind) {
  CONVOY_CHECK(!config_.fused_activation, name_, " already has a fused activation");
  config_.fused_activation = kind;
  op_.reset();  // rebuilt with the post-op on the next forward
}

Shape Conv2d::output_shape(const Shape& in) const {
  CONVOY_CHECK(in.rank() == 4 && in[1] == config_.in_channels, name_, " expects (N, ",
               config_.in_channels, ", H, W), got ", in.to_string());
  const int64_t oh = (in[2] + 2 * config_.pad_h - config_.kernel_h) / config_.stride_h + 1;
  const int64_t ow = (in[3] + 2 * config_.pad_w - config_.kernel_w) / config_.stride_w + 1;
  CONVOY_CHECK(oh > 0 && ow > 0, name_, ": input ", in.to_string(), " is smaller than the kernel");
  return Shape{in[0], config_.out_channels, oh, ow};
}

const Tensor& Conv2d::forward(const Tensor& x, const StepContext&) {
  if (!op_ || op_device_ != x.device()) {
    op_device_ = x.device();
    op_ = backend_for(x.device()).make_convolution2d(config_);
    if (config_.fused_activation)
      activation_op_ = backend_for(x.device()).make_activation(*config_.fused_activation);
  }
  input_ = x;
  op_->forward(x, weight_.value, bias_.value, output_);
  return output_;
}

const Tensor& Conv2d::backward(const Tensor& dy, bool need_input_grad,
                               const BackwardContext& ctx) {
  CONVOY_CHECK(op_ && input_.defined(), name_, ": backward before forward");
  const Tensor* grad = &dy;
  if (activation_op_) {  // through the fused activation first
    activation_op_->backward(output_, dy, grad_preactivation_);
    grad = &grad_preactivation_;
  }
  op_->backward_weights(input_, *grad, weight_.grad, bias_.grad, ctx.accumulate);
  if (ctx.on_ready) {
    ctx.on_ready(bias_);
    ctx.on_ready(weight_);
  }
  if (!need_input_grad) return undefined_;
  op_->backward_data(*grad, weight_.value, grad_input_);
  return grad_input_;
}

}  // namespace convoy
