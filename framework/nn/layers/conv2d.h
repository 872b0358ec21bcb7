// 2-D convolution: (N, C, H, W) -> (N, O, OH, OW), weight OIHW, bias (O).
#pragma once

#include <memory>

#include "backend/backend.h"
#include "nn/module.h"

namespace convoy {

class Conv2d final : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, int64_t stride = 1,
         int64_t padding = 0);

  std::string kind() const override { return "conv2d"; }
  std::string describe() const override;
  Shape output_shape(const Shape& input) const override;
  const Tensor& forward(const Tensor& x, const StepContext& ctx) override;
  const Tensor& backward(const Tensor& dy, bool need_input_grad,
                         const BackwardContext& ctx) override;
  std::vector<Parameter*> parameters() override { return {&weight_, &bias_}; }

  Parameter& weight() { return weight_; }
  Parameter& bias() { return bias_; }

  // Applies `kind` to the output inside the convolution (see Sequential::fuse_activations).
  void fuse_activation(ActivationKind kind);

  const Convolution2dConfig& config() const { return config_; }  // what an exporter writes

 private:
  Convolution2dConfig config_;
  Parameter weight_, bias_;
  std::unique_ptr<Convolution2dOp> op_;
  Device op_device_;  // the device op_ was made for
  std::unique_ptr<ActivationOp> activation_op_;  // backward of the fused activation
  Tensor input_, output_, grad_input_, grad_preactivation_, undefined_;
};

}  // namespace convoy
