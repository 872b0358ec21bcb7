// Inverted dropout (docs/models.md): in training each unit is kept with probability
// `keep` and scaled by 1/keep; evaluation passes the input through. Masks are
// keyed by (seed, step, global sample index, layer) (docs/data.md, randomness), so a sample's
// mask does not depend on its batch position, rank or device.
#pragma once

#include "nn/module.h"

namespace convoy {

class Dropout final : public Module {
 public:
  // layer_id: distinguishes the masks of different dropout layers.
  Dropout(double drop_probability, uint32_t layer_id);

  std::string kind() const override { return "dropout"; }
  std::string describe() const override;
  Shape output_shape(const Shape& input) const override { return input; }
  const Tensor& forward(const Tensor& x, const StepContext& ctx) override;
  const Tensor& backward(const Tensor& dy, bool need_input_grad,
                         const BackwardContext& ctx) override;
  const Tensor& mask() const { return mask_; }

 private:
  float keep_;
  uint32_t layer_id_;
  bool last_forward_trained_ = false;
  // passthrough_ aliases the input (evaluation); output_ is our own buffer.
  Tensor mask_, output_, grad_input_, passthrough_, plain_input_, undefined_;
};

}  // namespace convoy
