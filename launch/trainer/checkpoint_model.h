// What inference needs from a checkpoint, shared by classify and export_onnx:
// the model it holds (its name, class count and input size) and the input
// normalisation (--data's channel statistics and class names, else
// ImageNet's or MNIST's usual ones).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data_pipeline/transforms.h"
#include "models/registry.h"
#include "nn/sequential.h"

namespace convoy {

struct CheckpointModelOptions {
  std::string checkpoint, model_name, data;  // model_name: empty takes the checkpoint's
  int64_t num_classes = 0, input_size = 0;   // 0: the checkpoint's
};

// The model the checkpoint holds (checked against model_name, which it fills
// when empty), with the class count and input size its run used; a user
// error naming the file when it is not a convoy checkpoint.
models::ModelSpec stored_model_spec(CheckpointModelOptions& o);

// The checkpoint's network with its trained parameters, and its input shape (1, C, H, W).
struct TrainedModel {
  models::ModelSpec spec;
  std::unique_ptr<Sequential> network;
  Shape input;
};
TrainedModel load_trained_model(CheckpointModelOptions& o);

// Normalisation (and class names) from o.data, else ImageNet's or MNIST's
// statistics; the crop is `side`, no flip.
TransformOptions inference_normalisation(const CheckpointModelOptions& o, int64_t channels, int64_t side,
                                         std::vector<std::string>& class_names);

}  // namespace convoy
