// classify: a trained checkpoint and image files in, the top-5 classes of each
// image out. The model (and its class count and input size) come from the
// checkpoint unless given; mean/std and class names from --data's file.
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

#include "launch/trainer/command_line.h"
#include "core/error.h"
#include "data_pipeline/hdf5_dataset.h"
#include "data_pipeline/image_codec.h"
#include "data_pipeline/image_resize.h"
#include "data_pipeline/transforms.h"
#include "io/checkpoint.h"
#include "formats/hdf5_file.h"
#include "launch/trainer/train_program.h"
#include "models/registry.h"

namespace po = boost::program_options;
using namespace convoy;

namespace {

// ImageNet's usual statistics ([0,1] units) and MNIST's, when no --data is given.
constexpr std::array<double, 3> kImageNetMean{0.485, 0.456, 0.406};
constexpr std::array<double, 3> kImageNetStd{0.229, 0.224, 0.225};
constexpr double kMnistMean = 0.1307, kMnistStd = 0.3081;

int64_t json_int(const nlohmann::json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_number_integer()) return j[key].get<int64_t>();
  return 0;
}

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

}  // namespace

int main(int argc, char** argv) {
  return run_guarded("classify", [&] {
    std::string checkpoint, model_name, data;
    int64_t num_classes = 0, input_size = 0, top = 5;
    std::vector<std::string> images;
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
        ("checkpoint", po::value(&checkpoint), "checkpoint written by train_alexnet / train_lenet")
        ("model", po::value(&model_name), "alexnet | lenet5 (default: the checkpoint's model)")
        ("num-classes", po::value(&num_classes)->default_value(0),
         "classes (default: the checkpoint's options, else its last layer's size)")
        ("input-size", po::value(&input_size)->default_value(0),
         "network input side (default: the checkpoint's options, else the model's default)")
        ("data", po::value(&data), "HDF5 file (docs/data.md) for class names and channel mean/std")
        ("top", po::value(&top)->default_value(5), "how many classes to print per image")
        ("image", po::value(&images), "image files");
    po::positional_options_description positional;
    positional.add("image", -1);
    po::variables_map vm;
    if (!convoy::parse_command_line(argc, argv, options, &positional, vm)) return 0;
    if (checkpoint.empty()) CONVOY_USER_ERROR("give --checkpoint CKPT.h5 (see --help)");
    if (images.empty()) CONVOY_USER_ERROR("give at least one image file");
    if (top < 1) CONVOY_USER_ERROR("--top must be at least 1");

    // What model the checkpoint holds, before loading it.
    std::string stored_model, options_json;
    int64_t stored_classes = 0;
    {
      std::unique_ptr<Hdf5File> file;
      try {
        file = std::make_unique<Hdf5File>(checkpoint, Hdf5File::Mode::kRead);
      } catch (const Error& e) {
        CONVOY_USER_ERROR("cannot read checkpoint '", checkpoint, "': ", e.message());
      }
      if (!file->has_attribute("/", "format_version") || !file->has_attribute("/", "model"))
        CONVOY_USER_ERROR("'", checkpoint, "' is not a convoy checkpoint (no format_version/model attributes)");
      stored_model = file->attribute_string("/", "model");
      if (file->has_attribute("/", "options")) options_json = file->attribute_string("/", "options");
      if (model_name.empty()) model_name = stored_model;
      else if (model_name != stored_model)
        CONVOY_USER_ERROR("'", checkpoint, "' holds model '", stored_model, "', not '", model_name, "'");
      // The class count the run used: its last parameter's (the output layer's bias) length.
      auto probe = models::make_model({model_name, 0, 0});
      const std::vector<Parameter*> params = probe->parameters();
      if (!params.empty()) {
        const std::string last = "/parameters/" + params.back()->name;
        if (file->has(last)) stored_classes = file->dataset_shape(last).numel();
      }
    }
    const nlohmann::json opts = nlohmann::json::parse(options_json.empty() ? "{}" : options_json, nullptr, false);
    if (!num_classes) num_classes = json_int(opts, "num_classes");
    if (!num_classes) num_classes = stored_classes;
    if (!input_size) input_size = json_int(opts, "input_size");
    const models::ModelSpec spec{model_name, num_classes, input_size};
    auto model = models::make_model(spec);
    load_checkpoint(checkpoint, model->parameters(), nullptr);
    const Shape in_shape = models::model_input_shape(spec);
    const int64_t channels = in_shape[1], side = in_shape[2];

    TransformOptions t;
    t.crop_size = side;
    t.flip = false;
    std::vector<std::string> class_names;
    if (!data.empty()) {
      const ImageDataset ds = ImageDataset::open(data, CacheMode::kOff);
      if (ds.channels() != channels)
        CONVOY_USER_ERROR(data, " holds ", ds.channels(), "-channel images but ", model_name, " takes ", channels);
      for (int64_t c = 0; c < channels; ++c) {
        t.mean[static_cast<size_t>(c)] = ds.channel_mean()[static_cast<size_t>(c)];
        t.std[static_cast<size_t>(c)] = ds.channel_std()[static_cast<size_t>(c)];
      }
      class_names = ds.class_names();
    } else if (channels == 1) {
      t.mean[0] = kMnistMean;
      t.std[0] = kMnistStd;
    } else {
      t.mean = kImageNetMean;
      t.std = kImageNetStd;
    }

    JpegCodec codec;
    Image decoded, grey, resized;
    Tensor input = Tensor::empty(in_shape);
    for (const std::string& path : images) {
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
      const Tensor& logits = model->forward(input, StepContext{});
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
    return 0;
  });
}
