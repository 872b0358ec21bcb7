// Local response normalisation across channels, docs/models.md semantics.
#pragma once

#include <memory>

#include "backend/backend.h"
#include "nn/module.h"

namespace convoy {

class Lrn final : public Module {
 public:
  explicit Lrn(const LrnConfig& config);

  std::string kind() const override { return "lrn"; }
  std::string describe() const override;
  Shape output_shape(const Shape& input) const override { return input; }
  const Tensor& forward(const Tensor& x, const StepContext& ctx) override;
  const Tensor& backward(const Tensor& dy, bool need_input_grad,
                         const BackwardContext& ctx) override;

  const LrnConfig& config() const { return config_; }  // what an exporter writes

 private:
  LrnConfig config_;
  std::unique_ptr<LrnOp> op_;
  Device op_device_;  // the device op_ was made for
  Tensor input_, output_, grad_input_, undefined_;
};

}  // namespace convoy
