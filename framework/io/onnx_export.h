// A convoy network as an ONNX model for inference, built with ONNX's own
// protobuf classes (Debian's libonnx-dev) and checked with its checker before
// it is written. Opset 13; the batch axis is symbolic ("batch").
//   input  "pixels" (batch, C, H, W) in [0, 1], normalised inside the model
//          ((x - mean) / std, the training file's channel statistics, also
//          stored as metadata), or "input" already normalised when no mean
//          and std are given;
//   output "logits" (batch, classes), or "probabilities" with softmax.
// Layers: convolution, ReLU, sigmoid, max and average pooling, LRN (convoy's
// definition mapped as the backends map it: window 2*floor(n/2)+1, alpha x
// window), flatten, fully connected; dropout is left out (inference). Any
// other layer is a user error naming it. Lives in its own library
// (convoy_onnx), so that libconvoy does not need ONNX.
#pragma once

#include <string>
#include <vector>

#include "core/shape.h"

namespace convoy {

class Sequential;

struct OnnxExportOptions {
  std::string model_name = "convoy";         // the graph's name and metadata
  std::vector<double> mean, std;             // per channel; empty: no normalisation inside
  bool softmax = false;                      // end with softmax (probabilities)
  std::vector<std::string> class_names;      // metadata, one per output
};

// Writes `model` for inputs of shape (C, H, W) to `path` (atomically); returns
// a one-line description ("11 nodes, 61706 parameters, opset 13").
std::string export_onnx(Sequential& model, const Shape& input_chw, const OnnxExportOptions& options,
                        const std::string& path);

}  // namespace convoy
