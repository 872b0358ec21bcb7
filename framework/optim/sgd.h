// SGD as PyTorch defines it (docs/models.md): v = momentum * v + (g + weight_decay * w);
// w = w - lr * v. Weight decay applies to weights, and to biases only when asked.
#pragma once

#include <vector>

#include "nn/parameter.h"

namespace convoy {

struct SgdOptions {
  double momentum = 0.9;
  double weight_decay = 0.0;
  bool decay_biases = false;
};

class Sgd {
 public:
  Sgd(std::vector<Parameter*> parameters, SgdOptions options);

  // One update; the gradients are used as grad_scale * grad (see SgdHyper).
  void step(double lr, double grad_scale = 1.0);
  void zero_velocity();

  // Momentum buffers, one per parameter in order (checkpointed).
  std::vector<Tensor>& velocities() { return velocities_; }
  const std::vector<Parameter*>& parameters() const { return parameters_; }
  const SgdOptions& options() const { return options_; }

 private:
  std::vector<Parameter*> parameters_;
  std::vector<Tensor> velocities_;
  SgdOptions options_;
};

}  // namespace convoy
