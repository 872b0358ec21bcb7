// Parameter: a trainable tensor, its gradient, and what initialisation needs to know.
#pragma once

#include <string>

#include "tensor/tensor.h"

namespace convoy {

struct Parameter {
  std::string name;  // "conv1.weight", set by the container
  Tensor value;      // plain layout: OIHW, (out, in), or (out)
  Tensor grad;       // same shape; written by backward
  bool is_bias = false;
  int64_t fan_in = 0, fan_out = 0;
  double paper_bias = 0.0;  // the bias the model's paper initialises this to (AlexNet: 0 or 1)
};

}  // namespace convoy
