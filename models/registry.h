// Models by name, for programs that take --model.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nn/sequential.h"

namespace convoy::models {

struct ModelSpec {
  std::string name;         // "lenet5" | "alexnet"
  int64_t num_classes = 0;  // 0: the model's default
  int64_t input_size = 0;   // 0: the model's default
};

std::unique_ptr<Sequential> make_model(const ModelSpec& spec);
// (1, C, H, W) of one input sample.
Shape model_input_shape(const ModelSpec& spec);
std::vector<std::string> model_names();

}  // namespace convoy::models
