// A custom network through the export_onnx library call, with what the
// standard models leave untested: LRN of an even size and a large alpha (a
// wrong mapping of convoy's LRN onto ONNX's shows at once), average pooling
// over padding, max pooling with padding and a dropout left out. Writes
// OUT_DIR/custom.onnx and, like export_onnx --reference, seeded random inputs
// with convoy's outputs; tests/programs/onnx_runtime_check.py compares.
// With --unknown-layer it adds a layer ONNX export does not know instead and
// prints the error (exit 1).
//   onnx_custom_network OUT_DIR [--unknown-layer]
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "io/onnx_export.h"
#include "nn/init.h"
#include "nn/layers/activation.h"
#include "nn/layers/conv2d.h"
#include "nn/layers/dropout.h"
#include "nn/layers/flatten.h"
#include "nn/layers/linear.h"
#include "nn/layers/lrn.h"
#include "nn/layers/pool2d.h"
#include "nn/sequential.h"

using namespace convoy;

namespace {

// A layer of a user's own: the identity, unknown to the exporter.
class Mystery final : public Module {
 public:
  std::string kind() const override { return "mystery"; }
  Shape output_shape(const Shape& input) const override { return input; }
  const Tensor& forward(const Tensor& x, const StepContext&) override { return x; }
  const Tensor& backward(const Tensor& dy, bool, const BackwardContext&) override { return dy; }
};

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 2) return std::fprintf(stderr, "usage: onnx_custom_network OUT_DIR [--unknown-layer]\n"), 2;
  const std::string out = argv[1];
  std::filesystem::create_directories(out);
  Sequential net;
  net.add(std::make_unique<Conv2d>(3, 8, 3, 1, 1), "conv");
  net.add(make_relu(), "relu");
  net.add(std::make_unique<Lrn>(LrnConfig{4, 0.5, 0.75, 1.0}), "lrn");  // even n, alpha far from 0
  net.add(std::make_unique<Pool2d>(PoolingKind::kAverage, 3, 2, 1), "avgpool");
  net.add(std::make_unique<Pool2d>(PoolingKind::kMax, 2, 1, 1), "maxpool");
  net.add(std::make_unique<Flatten>(), "flatten");
  net.add(std::make_unique<Dropout>(0.5, 1), "dropout");
  if (argc > 2 && std::string(argv[2]) == "--unknown-layer") net.add(std::make_unique<Mystery>(), "puzzle");
  net.add(std::make_unique<Linear>(8 * 9 * 9, 6), "fc");
  initialize_parameters(net.parameters(), InitScheme::kKaiming, 7);
  const Shape in{4, 3, 16, 16};
  OnnxExportOptions options;
  options.model_name = "custom";
  std::printf("wrote %s/custom.onnx: %s\n", out.c_str(), export_onnx(net, Shape{3, 16, 16}, options, out + "/custom.onnx").c_str());
  Tensor input = Tensor::empty(in);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int64_t i = 0; i < input.numel(); ++i) input.data()[i] = normal(rng);
  const Tensor& logits = net.forward(input, StepContext{});
  std::ofstream(out + "/pixels.f32", std::ios::binary)
      .write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.numel() * 4));
  std::ofstream(out + "/outputs.f32", std::ios::binary)
      .write(reinterpret_cast<const char*>(logits.data()), static_cast<std::streamsize>(logits.numel() * 4));
  std::ofstream(out + "/shapes.txt") << "4 3 16 16\n4 " << logits.shape()[1] << "\n";
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "onnx_custom_network: %s\n", e.what());
  return 1;
}
