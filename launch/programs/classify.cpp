// classify: a trained checkpoint and image files in, the top-5 classes of each
// image out. The model (and its class count and input size) come from the
// checkpoint unless given; mean/std and class names from --data's file.
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "launch/trainer/checkpoint_model.h"
#include "launch/trainer/command_line.h"
#include "core/error.h"
#include "data_pipeline/hdf5_dataset.h"
#include "data_pipeline/image_codec.h"
#include "data_pipeline/image_resize.h"
#include "data_pipeline/transforms.h"
#include "formats/atomic_file.h"
#include "formats/hdf5_file.h"
#include "launch/trainer/train_program.h"
#include "models/registry.h"

namespace po = boost::program_options;
using namespace convoy;

namespace {

// ITU-R BT.601 luma of an RGB image.
void to_grey(const Image& rgb, Image& grey) {
  grey.resize(rgb.height, rgb.width, 1);
  const int64_t n = rgb.height * rgb.width;
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* p = rgb.pixels.data() + i * 3;
    grey.pixels[static_cast<size_t>(i)] =
        static_cast<uint8_t>(std::lround(0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]));
  }
}

struct ClassifyOptions : CheckpointModelOptions {
  int64_t top = 5;
  std::vector<std::string> images;
  std::string save_input;
};

// The command line; empty after --help.
std::optional<ClassifyOptions> parse_options(int argc, char** argv) {
  ClassifyOptions o;
  po::options_description options(
      "usage: classify --checkpoint CKPT.h5 [options] IMAGE...\n"
      "Prints the top classes of each image (JPEG or PNG): 'class_index  probability  class_name'.\n"
      "AlexNet: the shorter side is resized to 256, the centre 256x256 kept, then the centre\n"
      "input-size crop. LeNet-5: greyscale (BT.601 luma), shorter side resized to the input size,\n"
      "centre square. Normalisation: --data's channel_mean/channel_std, else ImageNet's\n"
      "mean (0.485, 0.456, 0.406) / std (0.229, 0.224, 0.225), or MNIST's 0.1307 / 0.3081 for lenet5.\n\n"
      "options");
  options.add_options()
      ("help,h", "print this help")
      ("checkpoint", po::value(&o.checkpoint), "checkpoint written by train_alexnet / train_lenet")
      ("model", po::value(&o.model_name), "alexnet | lenet5 (default: the checkpoint's model)")
      ("num-classes", po::value(&o.num_classes)->default_value(0),
       "classes (default: the checkpoint's options, else its last layer's size)")
      ("input-size", po::value(&o.input_size)->default_value(0),
       "network input side (default: the checkpoint's options, else the model's default)")
      ("data", po::value(&o.data), "HDF5 file (docs/data.md) for class names and channel mean/std")
      ("top", po::value(&o.top)->default_value(5), "how many classes to print per image")
      ("save-input", po::value(&o.save_input),
       "write the network's input for the last image (normalised, float32 NCHW) to this file, to compare another runtime")
      ("image", po::value(&o.images), "image files");
  po::positional_options_description positional;
  positional.add("image", -1);
  po::variables_map vm;
  if (!convoy::parse_command_line(argc, argv, options, &positional, vm)) return std::nullopt;
  if (o.checkpoint.empty()) CONVOY_USER_ERROR("give --checkpoint CKPT.h5 (see --help)");
  if (o.images.empty()) CONVOY_USER_ERROR("give at least one image file");
  if (o.top < 1) CONVOY_USER_ERROR("--top must be at least 1");
  return o;
}

// The image's top classes by softmax probability: "  index  probability  name".
void print_top(const std::string& path, const Tensor& logits, int64_t top, const std::vector<std::string>& class_names) {
  CONVOY_CHECK(logits.device() == Device::kCPU, "classify reads logits on the host");
  const int64_t k = logits.numel();
  const float* z = logits.data();
  const float zmax = *std::max_element(z, z + k);
  std::vector<double> p(static_cast<size_t>(k));
  double sum = 0;
  for (int64_t i = 0; i < k; ++i) sum += (p[static_cast<size_t>(i)] = std::exp(double(z[i]) - zmax));
  for (double& v : p) v /= sum;
  std::vector<int64_t> order(static_cast<size_t>(k));
  std::iota(order.begin(), order.end(), 0);
  const int64_t shown = std::min(top, k);
  std::partial_sort(order.begin(), order.begin() + shown, order.end(), [&](int64_t a, int64_t b) {
    return p[static_cast<size_t>(a)] > p[static_cast<size_t>(b)];
  });
  std::printf("%s\n", path.c_str());
  for (int64_t r = 0; r < shown; ++r) {
    const int64_t c = order[static_cast<size_t>(r)];
    const char* name = c < static_cast<int64_t>(class_names.size()) ? class_names[static_cast<size_t>(c)].c_str() : "";
    std::printf("  %5lld  %.4f  %s\n", static_cast<long long>(c), p[static_cast<size_t>(c)], name);
  }
}

}  // namespace

int main(int argc, char** argv) {
  return run_guarded("classify", [&] {
    std::optional<ClassifyOptions> o = parse_options(argc, argv);
    if (!o) return 0;
    const TrainedModel trained = load_trained_model(*o);
    Sequential& model = *trained.network;
    const Shape& in_shape = trained.input;
    const int64_t channels = in_shape[1], side = in_shape[2];
    std::vector<std::string> class_names;
    const TransformOptions t = inference_normalisation(*o, channels, side, class_names);
    JpegCodec codec;
    Image decoded, grey, resized;
    Tensor input = Tensor::empty(in_shape);
    for (const std::string& path : o->images) {
      const std::vector<uint8_t> bytes = read_file(path);
      codec.decode(bytes.data(), bytes.size(), path, decoded);  // its errors name the file
      if (channels == 1) {
        to_grey(decoded, grey);
        resize_shorter_side_and_center_crop(grey, side, side, side, resized);
      } else {
        const int64_t stored = std::max<int64_t>(256, side);
        resize_shorter_side_and_center_crop(decoded, stored, stored, stored, resized);
      }
      center_crop_transform(resized, t, input.data());
      print_top(path, model.forward(input, StepContext{}), o->top, class_names);
      if (!o->save_input.empty())
        write_file_atomically(o->save_input, [&](const std::string& temporary) {
          std::ofstream(temporary, std::ios::binary)
              .write(reinterpret_cast<const char*>(input.data()), static_cast<std::streamsize>(input.numel() * 4));
        });
    }
    return 0;
  });
}
