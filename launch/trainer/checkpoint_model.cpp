#include "launch/trainer/checkpoint_model.h"

#include <nlohmann/json.hpp>

#include <array>
#include <memory>

#include "core/error.h"
#include "data_pipeline/hdf5_dataset.h"
#include "formats/hdf5_file.h"
#include "io/checkpoint.h"

namespace convoy {

namespace {

// ImageNet's usual statistics ([0,1] units) and MNIST's, when no --data is given.
constexpr std::array<double, 3> kImageNetMean{0.485, 0.456, 0.406};
constexpr std::array<double, 3> kImageNetStd{0.229, 0.224, 0.225};
constexpr double kMnistMean = 0.1307, kMnistStd = 0.3081;

int64_t json_int(const nlohmann::json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_number_integer()) return j[key].get<int64_t>();
  return 0;
}

}  // namespace

models::ModelSpec stored_model_spec(CheckpointModelOptions& o) {
  std::string options_json;
  int64_t stored_classes = 0;
  std::unique_ptr<Hdf5File> file;
  try {
    file = std::make_unique<Hdf5File>(o.checkpoint, Hdf5File::Mode::kRead);
  } catch (const Error& e) {
    CONVOY_USER_ERROR("cannot read checkpoint '", o.checkpoint, "': ", e.message());
  }
  if (!file->has_attribute("/", "format_version") || !file->has_attribute("/", "model"))
    CONVOY_USER_ERROR("'", o.checkpoint, "' is not a convoy checkpoint (no format_version/model attributes)");
  const std::string stored_model = file->attribute_string("/", "model");
  if (file->has_attribute("/", "options")) options_json = file->attribute_string("/", "options");
  if (o.model_name.empty()) o.model_name = stored_model;
  else if (o.model_name != stored_model)
    CONVOY_USER_ERROR("'", o.checkpoint, "' holds model '", stored_model, "', not '", o.model_name, "'");
  // The class count the run used: its last parameter's (the output layer's bias) length.
  auto probe = models::make_model({o.model_name, 0, 0});
  const std::vector<Parameter*> params = probe->parameters();
  if (!params.empty()) {
    const std::string last = "/parameters/" + params.back()->name;
    if (file->has(last)) stored_classes = file->dataset_shape(last).numel();
  }
  const nlohmann::json opts = nlohmann::json::parse(options_json.empty() ? "{}" : options_json, nullptr, false);
  int64_t num_classes = o.num_classes ? o.num_classes : json_int(opts, "num_classes");
  if (!num_classes) num_classes = stored_classes;
  const int64_t input_size = o.input_size ? o.input_size : json_int(opts, "input_size");
  return {o.model_name, num_classes, input_size};
}

TrainedModel load_trained_model(CheckpointModelOptions& o) {
  TrainedModel m;
  m.spec = stored_model_spec(o);
  m.network = models::make_model(m.spec);
  load_checkpoint(o.checkpoint, m.network->parameters(), nullptr);
  m.input = models::model_input_shape(m.spec);
  return m;
}

TransformOptions inference_normalisation(const CheckpointModelOptions& o, int64_t channels, int64_t side,
                               std::vector<std::string>& class_names) {
  TransformOptions t;
  t.crop_size = side;
  t.flip = false;
  if (!o.data.empty()) {
    const ImageDataset ds = ImageDataset::open(o.data, CacheMode::kOff);
    if (ds.channels() != channels)
      CONVOY_USER_ERROR(o.data, " holds ", ds.channels(), "-channel images but ", o.model_name, " takes ", channels);
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
  return t;
}

}  // namespace convoy
