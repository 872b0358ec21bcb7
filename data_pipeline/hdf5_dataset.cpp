#include "data_pipeline/hdf5_dataset.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <span>

#include "core/error.h"
#include "data_pipeline/image_codec.h"
#include "data_pipeline/encoded_images.h"
#include "data_pipeline/jpeg_cache.h"
#include "formats/hdf5_file.h"

namespace convoy {

namespace {

// A root attribute in [1, most].
int64_t positive_attribute(const Hdf5File& file, const char* name, int64_t most) {
  if (!file.has_attribute("/", name))
    CONVOY_USER_ERROR("dataset file '", file.path(), "' lacks the root attribute '", name, "'");
  const int64_t value = file.attribute_int("/", name);
  if (value < 1 || value > most)
    CONVOY_USER_ERROR("dataset file '", file.path(), "' has ", name, " = ", value, "; it must be from 1 to ", most);
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

// Whether to hold the whole set in memory: up to a quarter of the RAM,
// shared by the processes on this machine that hold a copy each.
bool fits_in_memory(const std::string& path, int sharing_processes) {
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path, ec);
  const double ram = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGE_SIZE));
  return !ec && static_cast<double>(bytes) <= 0.25 * ram / std::max(1, sharing_processes);
}

}  // namespace

std::span<const NamedValue<CacheMode>> named_values(CacheMode) {
  static constexpr NamedValue<CacheMode> kNames[] = {
      {CacheMode::kAuto, "auto"}, {CacheMode::kOn, "on"}, {CacheMode::kOff, "off"}};
  return kNames;
}

ImageDataset::ImageDataset(ImageDataset&&) noexcept = default;
ImageDataset& ImageDataset::operator=(ImageDataset&&) noexcept = default;
ImageDataset::~ImageDataset() = default;

ImageDataset ImageDataset::open(const std::string& path, CacheMode cache, int sharing_processes) {
  auto file = std::make_shared<const Hdf5File>(path, Hdf5File::Mode::kRead);
  ImageDataset d;
  d.path_ = path;
  d.jpeg_ = !file->has("/images") && EncodedImages::present(*file);
  if (!file->has("/images") && !d.jpeg_) CONVOY_USER_ERROR("dataset file '", path, "' has no /images dataset");
  if (!file->has("/labels")) CONVOY_USER_ERROR("dataset file '", path, "' has no /labels dataset");
  d.read_attributes(*file);
  d.read_image_count(file);
  d.read_labels(*file);
  d.cached_ = cache == CacheMode::kOn || (cache == CacheMode::kAuto && fits_in_memory(path, sharing_processes));
  if (d.cached_ && !d.jpeg_) {
    d.images_.resize(static_cast<size_t>(d.size_ * d.image_bytes()));
    file->read("/images", d.images_.data(), d.size_ * d.image_bytes());
  }
  d.file_ = std::move(file);
  if (d.cached_ && d.jpeg_) {  // the encoded bytes are at most the file's size
    std::error_code ec;
    const auto file_bytes = std::filesystem::file_size(path, ec);
    if (ec) CONVOY_USER_ERROR("cannot size dataset file '", path, "': ", ec.message());
    d.jpeg_cache_ = std::make_unique<JpegCache>(d.encoded_, static_cast<size_t>(file_bytes));
  }
  return d;
}

// The root group's attributes: sizes, normalisation and the dataset PCA.
void ImageDataset::read_attributes(const Hdf5File& f) {
  // Limits that keep every size computed from them far from overflow: JPEG's
  // own largest side, and the channels of grey, RGB and RGBA images.
  num_classes_ = positive_attribute(f, "num_classes", 1 << 24);
  height_ = positive_attribute(f, "height", 65535);
  width_ = positive_attribute(f, "width", 65535);
  channels_ = positive_attribute(f, "channels", 4);
  channel_mean_ = per_channel_attribute(f, "channel_mean", channels_, false);
  channel_std_ = per_channel_attribute(f, "channel_std", channels_, true);
  if (f.has_attribute("/", "pca_eigval") || f.has_attribute("/", "pca_eigvec")) {
    const std::vector<double> values = f.has_attribute("/", "pca_eigval") ? f.attribute_doubles("/", "pca_eigval") : std::vector<double>{};
    const std::vector<double> vectors = f.has_attribute("/", "pca_eigvec") ? f.attribute_doubles("/", "pca_eigvec") : std::vector<double>{};
    if (values.size() != 3 || vectors.size() != 9)
      CONVOY_USER_ERROR("dataset file '", path_, "' needs 3 pca_eigval and 9 pca_eigvec values, has ",
                        values.size(), " and ", vectors.size());
    for (int i = 0; i < 3; ++i) {
      pca_.values[i] = values[i];
      for (int r = 0; r < 3; ++r) pca_.vectors[r][i] = vectors[static_cast<size_t>(r * 3 + i)];
    }
    has_pca_ = true;
  }
}

// How many images: the encoded images', or /images' checked against the attributes.
void ImageDataset::read_image_count(const std::shared_ptr<const Hdf5File>& f) {
  if (jpeg_) {
    encoded_ = EncodedImages::open(f, max_encoded_bytes());
    size_ = encoded_->size();
  } else {
    const Shape images = f->dataset_shape("/images");
    const Shape expected{images.rank() > 0 ? images[0] : 0, height_, width_, channels_};
    if (images.rank() != 4 || images != expected)
      CONVOY_USER_ERROR("dataset file '", path_, "' has /images of shape ", images.to_string(),
                        " but its attributes say (N, ", height_, ", ", width_, ", ", channels_, ")");
    size_ = images[0];
  }
}

// The labels, each within the classes, and the classes' names and ids where stored.
void ImageDataset::read_labels(const Hdf5File& f) {
  const Shape labels = f.dataset_shape("/labels");
  if (labels.rank() != 1 || labels[0] != size_)
    CONVOY_USER_ERROR("dataset file '", path_, "' has /labels of shape ", labels.to_string(), " but ",
                      size_, " images");

  labels_.resize(static_cast<size_t>(size_));
  f.read("/labels", labels_.data(), size_);
  const auto bad = std::find_if(labels_.begin(), labels_.end(),
                                [&](int32_t v) { return v < 0 || v >= num_classes_; });
  if (bad != labels_.end())
    CONVOY_USER_ERROR("dataset file '", path_, "' has label ", *bad, " at index ", bad - labels_.begin(),
                      ", outside [0, ", num_classes_, ")");

  if (f.has("/class_names")) {
    class_names_ = f.read_strings("/class_names");
    if (static_cast<int64_t>(class_names_.size()) != num_classes_)
      CONVOY_USER_ERROR("dataset file '", path_, "' has ", class_names_.size(), " class names but num_classes = ",
                        num_classes_);
  }

  if (f.has("/class_ids")) {
    class_ids_ = f.read_strings("/class_ids");
    if (static_cast<int64_t>(class_ids_.size()) != num_classes_)
      CONVOY_USER_ERROR("dataset file '", path_, "' has ", class_ids_.size(), " class ids but num_classes = ",
                        num_classes_);
  }
}

const uint8_t* ImageDataset::image(int64_t i) const {
  CONVOY_CHECK(i >= 0 && i < size_, "image index ", i, " outside [0, ", size_, ") of ", path_);
  CONVOY_CHECK(cached_ && !jpeg_, "image() needs a cached raw set; ", path_, " is not one");
  return images_.data() + i * image_bytes();
}

std::span<const uint8_t> ImageDataset::jpeg_bytes(int64_t i, std::vector<uint8_t>& scratch) const {
  if (jpeg_cache_) {
    const std::span<const uint8_t> cached = jpeg_cache_->find(i);
    if (!cached.empty()) return cached;
  }
  return encoded_->read(i, scratch);
}

std::string ImageDataset::storage() const {
  if (!jpeg_) return "raw";
  return encoded_->layout() == std::string("flat") ? "jpeg" : "jpeg, variable-length";
}

void ImageDataset::wait_until_cached() const {
  if (jpeg_cache_) jpeg_cache_->wait();
}

int64_t ImageDataset::cached_images() const {
  if (jpeg_cache_) return jpeg_cache_->filled();
  return cached_ ? size_ : 0;
}

void ImageDataset::read_image(int64_t i, Image& out, JpegCodec& codec, std::vector<uint8_t>& scratch) const {
  CONVOY_CHECK(i >= 0 && i < size_, "image index ", i, " outside [0, ", size_, ") of ", path_);
  const std::string name = "image " + std::to_string(i) + " of " + path_;
  if (!jpeg_) {
    out.resize(height_, width_, channels_);
    if (cached_)
      std::memcpy(out.pixels.data(), image(i), static_cast<size_t>(image_bytes()));
    else
      file_->read_rows("/images", i, 1, out.pixels.data());
    return;
  }
  const std::span<const uint8_t> encoded = jpeg_bytes(i, scratch);
  codec.decode(encoded.data(), encoded.size(), name, out);
  if (out.height != height_ || out.width != width_)
    CONVOY_USER_ERROR(name, " decodes to ", out.height, "x", out.width, " but the file says ", height_, "x", width_);
}

ImageView ImageDataset::read_window(int64_t i, int64_t top, int64_t left, int64_t height,
                                    int64_t width, ReadBuffers& buffers) const {
  CONVOY_CHECK(i >= 0 && i < size_, "image index ", i, " outside [0, ", size_, ") of ", path_);
  if (!jpeg_) {
    if (cached_)
      return ImageView(image(i), height_, width_, channels_, width_ * channels_).window(top, left, height, width);
    buffers.image.resize(height_, width_, channels_);
    file_->read_rows("/images", i, 1, buffers.image.pixels.data());
    return ImageView(buffers.image).window(top, left, height, width);
  }
  const std::span<const uint8_t> encoded = jpeg_bytes(i, buffers.encoded);
  const uint8_t* bytes = encoded.data();
  const size_t count = encoded.size();
  const std::string name = "image " + std::to_string(i) + " of " + path_;
  auto check_size = [&](int64_t h, int64_t w) {
    if (h != height_ || w != width_)
      CONVOY_USER_ERROR(name, " decodes to ", h, "x", w, " but the file says ", height_, "x", width_);
  };
  if (looks_like_jpeg(bytes, count)) {
    // A partial decode never reads the rows below the window, so a cut-off
    // file would pass until a crop reached the missing part: check for the
    // end-of-image marker (FF D9, which entropy-coded data cannot contain).
    const size_t tail = std::min<size_t>(count, 64);
    bool has_end = false;
    for (size_t k = count - tail; k + 1 < count && !has_end; ++k) has_end = bytes[k] == 0xFF && bytes[k + 1] == 0xD9;
    if (!has_end) CONVOY_USER_ERROR("cannot decode JPEG '", name, "': no end-of-image marker (truncated?)");
    const JpegWindow window = buffers.window_decoder.decode(bytes, count, name, top, left, height, width,
                                                            buffers.image, {height_, width_});
    if (window.supported) return window.pixels;
  }
  buffers.codec.decode(bytes, count, name, buffers.image);  // PNG, CMYK: whole image
  check_size(buffers.image.height, buffers.image.width);
  return ImageView(buffers.image).window(top, left, height, width);
}

int32_t ImageDataset::label(int64_t i) const {
  CONVOY_CHECK(i >= 0 && i < size_, "label index ", i, " outside [0, ", size_, ") of ", path_);
  return labels_[static_cast<size_t>(i)];
}

void check_same_classes(const ImageDataset& train, const ImageDataset& val) {
  if (train.num_classes() != val.num_classes())
    CONVOY_USER_ERROR("validation file '", val.path(), "' has ", val.num_classes(), " classes but training file '",
                      train.path(), "' has ", train.num_classes(), " (convert it with --classes-from the training file)");
  const auto& a = train.class_ids();
  const auto& b = val.class_ids();
  if (a.empty() || b.empty()) return;
  const auto [ours, theirs] = std::mismatch(a.begin(), a.end(), b.begin());
  if (ours != a.end())
    CONVOY_USER_ERROR("validation file '", val.path(), "' gives class ", ours - a.begin(), " the id '", *theirs,
                      "' but training file '", train.path(), "' gives it '", *ours,
                      "' (convert it with --classes-from the training file)");
}

}  // namespace convoy
