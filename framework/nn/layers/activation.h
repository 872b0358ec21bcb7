// Element-wise ReLU or sigmoid.
#pragma once

#include <memory>

#include "backend/backend.h"
#include "nn/module.h"

namespace convoy {

class Activation final : public Module {
 public:
  explicit Activation(ActivationKind kind) : kind_(kind) {}

  std::string kind() const override { return kind_ == ActivationKind::kRelu ? "relu" : "sigmoid"; }
  std::string describe() const override { return fused_ ? "(in the conv)" : ""; }
  ActivationKind activation() const { return kind_; }
  // The previous layer applies this activation itself: pass through.
  void mark_fused() { fused_ = true; }
  Shape output_shape(const Shape& input) const override { return input; }
  const Tensor& forward(const Tensor& x, const StepContext& ctx) override;
  const Tensor& backward(const Tensor& dy, bool need_input_grad,
                         const BackwardContext& ctx) override;

 private:
  ActivationKind kind_;
  bool fused_ = false;
  std::unique_ptr<ActivationOp> op_;
  Device op_device_;  // the device op_ was made for
  Tensor output_, grad_input_, undefined_;
};

inline std::unique_ptr<Activation> make_relu() {
  return std::make_unique<Activation>(ActivationKind::kRelu);
}
inline std::unique_ptr<Activation> make_sigmoid() {
  return std::make_unique<Activation>(ActivationKind::kSigmoid);
}

}  // namespace convoy
