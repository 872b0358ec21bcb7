#include "nn/layers/pool2d.h"

#include "core/error.h"

namespace convoy {

Pool2d::Pool2d(PoolingKind kind, int64_t window, int64_t stride, int64_t padding) {
  CONVOY_CHECK(window > 0 && stride > 0 && padding >= 0 && padding < window, "bad pooling settings");
  config_ = {kind, window, window, stride, stride, padding, padding};
}

std::string Pool2d::kind() const {
  return config_.kind == PoolingKind::kMax ? "maxpool2d" : "avgpool2d";
}

std::string Pool2d::describe() const {
  return std::to_string(config_.window_h) + "x" + std::to_string(config_.window_w) + " s" +
         std::to_string(config_.stride_h);
}

Shape Pool2d::output_shape(const Shape& in) const {
  CONVOY_CHECK(in.rank() == 4, name_, " expects (N, C, H, W), got ", in.to_string());
  const int64_t oh = (in[2] + 2 * config_.pad_h - config_.window_h) / config_.stride_h + 1;
  const int64_t ow = (in[3] + 2 * config_.pad_w - config_.window_w) / config_.stride_w + 1;
  CONVOY_CHECK(oh > 0 && ow > 0, name_, ": input ", in.to_string(), " is smaller than the window");
  return Shape{in[0], in[1], oh, ow};
}

const Tensor& Pool2d::forward(const Tensor& x, const StepContext& ctx) {
  if (!op_ || op_device_ != x.device()) op_ = backend_for(op_device_ = x.device()).make_pooling2d(config_);
  op_->forward(x, output_, ctx.training);
  return output_;
}

const Tensor& Pool2d::backward(const Tensor& dy, bool need_input_grad, const BackwardContext&) {
  CONVOY_CHECK(op_, name_, ": backward before forward");
  if (!need_input_grad) return undefined_;
  op_->backward(dy, grad_input_);
  return grad_input_;
}

}  // namespace convoy
