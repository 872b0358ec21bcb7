// LeNet-5 as docs/models.md gives it: sigmoid activations, average pooling, 61,706 parameters.
#pragma once

#include <memory>

#include "nn/sequential.h"

namespace convoy::models {

struct LeNet5Options {
  int64_t num_classes = 10;
  int64_t input_size = 28;  // square, 1 channel
};

std::unique_ptr<Sequential> make_lenet5(const LeNet5Options& options = {});

}  // namespace convoy::models
