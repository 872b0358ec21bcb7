// Flatten: (B, C, H, W) -> (B, C*H*W): a view of a plain input; an input in
// a backend layout is converted to plain first.
#pragma once

#include "backend/backend.h"
#include "nn/module.h"

namespace convoy {

class Flatten final : public Module {
 public:
  std::string kind() const override { return "flatten"; }
  Shape output_shape(const Shape& input) const override {
    return Shape{input[0], input.per_sample()};
  }
  const Tensor& forward(const Tensor& x, const StepContext&) override {
    input_shape_ = x.shape();
    output_ = as_plain(x, plain_).view(output_shape(x.shape()));
    return output_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad, const BackwardContext&) override {
    grad_input_ = need_input_grad ? dy.view(input_shape_) : Tensor();
    return grad_input_;
  }

 private:
  Shape input_shape_;
  Tensor output_, grad_input_, plain_;
};

}  // namespace convoy
