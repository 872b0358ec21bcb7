// Fully connected: (B, in) -> (B, out), weight (out, in) row-major, bias (out).
// A (B, C, H, W) input is read as (B, C*H*W) without copying.
#pragma once

#include <memory>

#include "backend/backend.h"
#include "nn/module.h"

namespace convoy {

class Linear final : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features);

  std::string kind() const override { return "linear"; }
  Shape output_shape(const Shape& input) const override;
  const Tensor& forward(const Tensor& x, const StepContext& ctx) override;
  const Tensor& backward(const Tensor& dy, bool need_input_grad,
                         const BackwardContext& ctx) override;
  std::vector<Parameter*> parameters() override { return {&weight_, &bias_}; }

  Parameter& weight() { return weight_; }
  Parameter& bias() { return bias_; }

 private:
  int64_t in_features_, out_features_;
  Parameter weight_, bias_;
  std::unique_ptr<LinearOp> op_;
  Device op_device_;  // the device op_ was made for
  Shape input_shape_;
  Tensor input_2d_, plain_input_, output_, grad_input_, grad_input_view_, undefined_;
};

}  // namespace convoy
