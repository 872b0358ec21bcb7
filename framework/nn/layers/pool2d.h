// Max or average pooling over (possibly overlapping) windows.
#pragma once

#include <memory>

#include "backend/backend.h"
#include "nn/module.h"

namespace convoy {

class Pool2d final : public Module {
 public:
  Pool2d(PoolingKind kind, int64_t window, int64_t stride, int64_t padding = 0);

  std::string kind() const override;
  std::string describe() const override;
  Shape output_shape(const Shape& input) const override;
  const Tensor& forward(const Tensor& x, const StepContext& ctx) override;
  const Tensor& backward(const Tensor& dy, bool need_input_grad,
                         const BackwardContext& ctx) override;

  const Pooling2dConfig& config() const { return config_; }  // what an exporter writes

 private:
  Pooling2dConfig config_;
  std::unique_ptr<Pooling2dOp> op_;
  Device op_device_;  // the device op_ was made for
  Tensor output_, grad_input_, undefined_;
};

}  // namespace convoy
