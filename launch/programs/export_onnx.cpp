// export_onnx: a trained checkpoint as an ONNX model for inference (ONNX
// Runtime, TensorRT, ...): framework/io/onnx_export.h. The model, class count
// and input size come from the checkpoint; the normalisation folded into the
// model from --data's channel statistics, else ImageNet's or MNIST's (as
// classify uses them). --reference DIR also writes convoy's own outputs on
// seeded random inputs, for comparing another runtime's.
#include <boost/program_options.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>

#include "core/error.h"
#include "io/onnx_export.h"
#include "launch/trainer/checkpoint_model.h"
#include "launch/trainer/command_line.h"
#include "launch/trainer/train_program.h"
#include "nn/sequential.h"

namespace po = boost::program_options;
using namespace convoy;

namespace {

struct ExportOptions : CheckpointModelOptions {
  std::string out, reference;
  bool softmax = false;
  int64_t reference_images = 8;
};

std::optional<ExportOptions> parse_options(int argc, char** argv) {
  ExportOptions o;
  po::options_description options(
      "usage: export_onnx --checkpoint CKPT.h5 --out MODEL.onnx [options]\n"
      "Writes the checkpoint's network as an ONNX model (opset 13, batch axis 'batch'): input\n"
      "'pixels' (batch, C, H, W) in [0, 1], normalised inside the model; output 'logits'\n"
      "(or 'probabilities' with --softmax).\n\noptions");
  options.add_options()
      ("help,h", "print this help")
      ("checkpoint", po::value(&o.checkpoint), "checkpoint written by train_alexnet / train_lenet")
      ("out", po::value(&o.out), "the ONNX file to write")
      ("data", po::value(&o.data), "HDF5 file (docs/data.md) whose channel mean/std and class names to use")
      ("model", po::value(&o.model_name), "alexnet | lenet5 (default: the checkpoint's model)")
      ("num-classes", convoy::option_value(&o.num_classes), "classes (default: the checkpoint's)")
      ("input-size", convoy::option_value(&o.input_size), "network input side (default: the checkpoint's)")
      ("softmax", po::bool_switch(&o.softmax), "end the model with a softmax")
      ("reference", po::value(&o.reference),
       "also write convoy's outputs on seeded random inputs into this folder (pixels.f32, outputs.f32, shapes.txt)")
      ("reference-images", convoy::option_value(&o.reference_images), "how many inputs --reference writes");
  po::variables_map vm;
  if (!convoy::parse_command_line(argc, argv, options, nullptr, vm)) return std::nullopt;
  if (o.checkpoint.empty() || o.out.empty()) CONVOY_USER_ERROR("give --checkpoint CKPT.h5 and --out MODEL.onnx");
  if (o.reference_images < 1) CONVOY_USER_ERROR("--reference-images must be at least 1");
  return o;
}

void write_floats(const std::string& path, const float* values, int64_t count) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(values), static_cast<std::streamsize>(count * sizeof(float)));
  if (!out.flush()) CONVOY_USER_ERROR("cannot write '", path, "'");
}

// Seeded random pixels in [0, 1] and convoy's outputs on them (normalised as
// the exported model normalises, softmax as it ends): the runtime's reference.
void write_reference(Sequential& model, const Shape& in, const TransformOptions& t, const ExportOptions& o,
                     int64_t outputs) {
  const int64_t n = o.reference_images, per = in[1] * in[2] * in[3], plane = in[2] * in[3];
  std::vector<float> pixels(static_cast<size_t>(n * per)), result;
  std::mt19937 rng(2026);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (float& p : pixels) p = uniform(rng);
  Tensor input = Tensor::empty(Shape{n, in[1], in[2], in[3]});
  for (int64_t i = 0; i < n * per; ++i) {
    const auto c = static_cast<size_t>((i % per) / plane);
    input.data()[i] = static_cast<float>((pixels[static_cast<size_t>(i)] - t.mean[c]) / t.std[c]);
  }
  const Tensor& logits = model.forward(input, StepContext{});
  result.assign(logits.data(), logits.data() + n * outputs);
  if (o.softmax)
    for (int64_t i = 0; i < n; ++i) {
      float* z = result.data() + i * outputs;
      const float top = *std::max_element(z, z + outputs);
      double sum = 0;
      for (int64_t k = 0; k < outputs; ++k) sum += std::exp(static_cast<double>(z[k] - top));
      for (int64_t k = 0; k < outputs; ++k) z[k] = static_cast<float>(std::exp(static_cast<double>(z[k] - top)) / sum);
    }
  std::filesystem::create_directories(o.reference);
  write_floats(o.reference + "/pixels.f32", pixels.data(), n * per);
  write_floats(o.reference + "/outputs.f32", result.data(), n * outputs);
  std::ofstream(o.reference + "/shapes.txt") << n << " " << in[1] << " " << in[2] << " " << in[3] << "\n"
                                             << n << " " << outputs << "\n";
  std::printf("reference: %lld inputs and convoy's outputs in %s\n", static_cast<long long>(n), o.reference.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  return run_guarded("export_onnx", [&] {
    std::optional<ExportOptions> o = parse_options(argc, argv);
    if (!o) return 0;
    const TrainedModel trained = load_trained_model(*o);
    const models::ModelSpec& spec = trained.spec;
    Sequential& model = *trained.network;
    const Shape& in = trained.input;
    OnnxExportOptions e;
    e.model_name = spec.name;
    e.softmax = o->softmax;
    const TransformOptions t = inference_normalisation(*o, in[1], in[2], e.class_names);
    e.mean.assign(t.mean.begin(), t.mean.begin() + in[1]);
    e.std.assign(t.std.begin(), t.std.begin() + in[1]);
    const std::string what = export_onnx(model, Shape{in[1], in[2], in[3]}, e, o->out);
    std::printf("wrote %s: %s from %s (%s, %lld classes, input %lldx%lldx%lld)\n", o->out.c_str(), what.c_str(),
                o->checkpoint.c_str(), spec.name.c_str(), static_cast<long long>(model.output_shape(in)[1]),
                static_cast<long long>(in[1]), static_cast<long long>(in[2]), static_cast<long long>(in[3]));
    if (!o->reference.empty()) write_reference(model, in, t, *o, model.output_shape(in)[1]);
    return 0;
  });
}
