#include "data_pipeline/hdf5_dataset.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "io/hdf5_file.h"

namespace convoy {

namespace {

int64_t positive_attribute(const Hdf5File& file, const char* name) {
  if (!file.has_attribute("/", name))
    CONVOY_USER_ERROR("dataset file '", file.path(), "' lacks the root attribute '", name, "'");
  const int64_t value = file.attribute_int("/", name);
  if (value < 1)
    CONVOY_USER_ERROR("dataset file '", file.path(), "' has ", name, " = ", value, "; it must be positive");
  return value;
}

std::vector<double> per_channel_attribute(const Hdf5File& file, const char* name, int64_t channels,
                                          bool positive) {
  if (!file.has_attribute("/", name))
    CONVOY_USER_ERROR("dataset file '", file.path(), "' lacks the root attribute '", name, "'");
  std::vector<double> values = file.attribute_doubles("/", name);
  if (static_cast<int64_t>(values.size()) != channels)
    CONVOY_USER_ERROR("dataset file '", file.path(), "' has ", values.size(), " values in '", name,
                      "' but ", channels, " channels");
  for (const double v : values)
    if (!std::isfinite(v) || (positive && v <= 0.0))
      CONVOY_USER_ERROR("dataset file '", file.path(), "' has ", name, " value ", v, "; it must be ",
                        positive ? "positive and finite" : "finite");
  return values;
}

}  // namespace

InMemoryImageDataset InMemoryImageDataset::open(const std::string& path) {
  Hdf5File file(path, Hdf5File::Mode::kRead);
  InMemoryImageDataset d;
  d.path_ = path;

  if (!file.has("/images")) {
    if (file.has("/jpeg"))
      CONVOY_USER_ERROR("dataset file '", path, "' stores JPEG-encoded images (/jpeg); only raw /images "
                        "can be held in memory");
    CONVOY_USER_ERROR("dataset file '", path, "' has no /images dataset");
  }
  if (!file.has("/labels")) CONVOY_USER_ERROR("dataset file '", path, "' has no /labels dataset");

  d.num_classes_ = positive_attribute(file, "num_classes");
  d.height_ = positive_attribute(file, "height");
  d.width_ = positive_attribute(file, "width");
  d.channels_ = positive_attribute(file, "channels");
  d.channel_mean_ = per_channel_attribute(file, "channel_mean", d.channels_, false);
  d.channel_std_ = per_channel_attribute(file, "channel_std", d.channels_, true);

  const Shape images = file.dataset_shape("/images");
  const Shape expected{images.rank() > 0 ? images[0] : 0, d.height_, d.width_, d.channels_};
  if (images.rank() != 4 || images != expected)
    CONVOY_USER_ERROR("dataset file '", path, "' has /images of shape ", images.to_string(),
                      " but its attributes say (N, ", d.height_, ", ", d.width_, ", ", d.channels_, ")");
  d.size_ = images[0];

  const Shape labels = file.dataset_shape("/labels");
  if (labels.rank() != 1 || labels[0] != d.size_)
    CONVOY_USER_ERROR("dataset file '", path, "' has /labels of shape ", labels.to_string(), " but ",
                      d.size_, " images");

  d.images_.resize(static_cast<size_t>(images.numel()));
  file.read("/images", d.images_.data(), images.numel());
  d.labels_.resize(static_cast<size_t>(d.size_));
  file.read("/labels", d.labels_.data(), d.size_);
  const auto bad = std::find_if(d.labels_.begin(), d.labels_.end(),
                                [&](int32_t v) { return v < 0 || v >= d.num_classes_; });
  if (bad != d.labels_.end())
    CONVOY_USER_ERROR("dataset file '", path, "' has label ", *bad, " at index ", bad - d.labels_.begin(),
                      ", outside [0, ", d.num_classes_, ")");

  if (file.has("/class_names")) {
    d.class_names_ = file.read_strings("/class_names");
    if (static_cast<int64_t>(d.class_names_.size()) != d.num_classes_)
      CONVOY_USER_ERROR("dataset file '", path, "' has ", d.class_names_.size(), " class names but num_classes = ",
                        d.num_classes_);
  }
  return d;
}

const uint8_t* InMemoryImageDataset::image(int64_t i) const {
  CONVOY_CHECK(i >= 0 && i < size_, "image index ", i, " outside [0, ", size_, ") of ", path_);
  return images_.data() + i * image_bytes();
}

int32_t InMemoryImageDataset::label(int64_t i) const {
  CONVOY_CHECK(i >= 0 && i < size_, "label index ", i, " outside [0, ", size_, ") of ", path_);
  return labels_[static_cast<size_t>(i)];
}

}  // namespace convoy
