// AlexNet, one tower (docs/models.md): 62,378,344 parameters at 227x227x3 and 1000 classes.
#pragma once

#include <memory>

#include "nn/sequential.h"

namespace convoy::models {

struct AlexNetOptions {
  int64_t num_classes = 1000;
  int64_t input_size = 227;  // square, 3 channels
  bool use_lrn = true;       // after the ReLUs of conv1 and conv2
  double dropout = 0.5;
};

// Biases of conv2, conv4, conv5, fc6 and fc7 carry paper_bias = 1 (docs/models.md).
std::unique_ptr<Sequential> make_alexnet(const AlexNetOptions& options = {});

}  // namespace convoy::models
