#include "data_pipeline/sample_source.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/philox.h"
#include "data_pipeline/hdf5_dataset.h"
#include "data_pipeline/image_codec.h"
#include "data_pipeline/pixel_rows.h"

namespace convoy {

std::string SampleSource::describe(int64_t index) const { return "sample " + std::to_string(index); }

int32_t SampleSource::load_pixels(int64_t, int64_t, uint8_t*, PixelTransform&, int) {
  CONVOY_THROW("this sample source has no pixel form (pixel_shape() is empty)");
}

namespace {

// What the sources over an ImageDataset share: the set, its size and
// classes, per-worker read buffers, and samples named by image and file.
class DatasetSource : public SampleSource {
 public:
  explicit DatasetSource(std::shared_ptr<const ImageDataset> dataset) : dataset_(std::move(dataset)) {}
  int64_t size() const override { return dataset_->size(); }
  int64_t num_classes() const override { return dataset_->num_classes(); }
  void prepare_workers(int workers) override {
    buffers_.clear();
    for (int w = 0; w < workers; ++w) buffers_.push_back(std::make_unique<ReadBuffers>());
  }
  std::string describe(int64_t index) const override {
    return "image " + std::to_string(index) + " of " + dataset_->path();
  }

 protected:
  ReadBuffers& buffers(int worker) { return *buffers_.at(static_cast<size_t>(worker)); }
  std::shared_ptr<const ImageDataset> dataset_;

 private:
  std::vector<std::unique_ptr<ReadBuffers>> buffers_;  // one per worker
};

class NormalizedSource final : public DatasetSource {
 public:
  NormalizedSource(std::shared_ptr<const ImageDataset> dataset, const std::vector<double>& mean,
                   const std::vector<double>& std_dev)
      : DatasetSource(std::move(dataset)) {
    const int64_t c = dataset_->channels();
    if (static_cast<int64_t>(mean.size()) != c || static_cast<int64_t>(std_dev.size()) != c)
      CONVOY_USER_ERROR(dataset_->path(), ": normalisation needs ", c, " channel means and stds, got ",
                        mean.size(), " and ", std_dev.size());
    if (c != 1 && c != 3)
      CONVOY_USER_ERROR(dataset_->path(), " holds ", c, "-channel images; 1 or 3 are supported");
    affine_ = normalising_affine(c, mean.data(), std_dev.data());
  }

  Shape sample_shape() const override {
    return Shape{dataset_->channels(), dataset_->height(), dataset_->width()};
  }

  // Any storage and cache mode; a cached raw set (MNIST) is read in place.
  int32_t load(int64_t index, int64_t, float* out, int worker) override {
    const ImageView image =
        dataset_->read_window(index, 0, 0, dataset_->height(), dataset_->width(), buffers(worker));
    view_to_planes(image, false, affine_, out);
    return dataset_->label(index);
  }

  Shape pixel_shape() const override { return Shape{dataset_->height(), dataset_->width(), dataset_->channels()}; }
  int32_t load_pixels(int64_t index, int64_t, uint8_t* out, PixelTransform& transform, int worker) override {
    view_to_bytes(dataset_->read_window(index, 0, 0, dataset_->height(), dataset_->width(), buffers(worker)), out);
    transform = PixelTransform{affine_, 0, 0};
    return dataset_->label(index);
  }

 private:
  PixelAffine affine_;
};

class SyntheticSource final : public SampleSource {
 public:
  SyntheticSource(int64_t count, int64_t num_classes, Shape sample_shape, uint64_t seed)
      : count_(count), num_classes_(num_classes), sample_shape_(std::move(sample_shape)), seed_(seed) {
    if (count <= 0) CONVOY_USER_ERROR("--synthetic needs a positive image count, got ", count);
  }
  int64_t size() const override { return count_; }
  int64_t num_classes() const override { return num_classes_; }
  Shape sample_shape() const override { return sample_shape_; }

  int32_t load(int64_t index, int64_t, float* out, int) override {
    const int64_t per = sample_shape_.numel();
    const float scale = std::sqrt(12.0f);  // uniform [-0.5, 0.5) has std 1/sqrt(12)
    const RandomStream stream(seed_, RandomPurpose::kSynthetic, static_cast<uint64_t>(index));
    for (int64_t block = 0; block * 4 < per; ++block) {
      const PhiloxCounter words = stream.block_at(static_cast<uint64_t>(block) + 1);
      for (int64_t j = block * 4; j < std::min(per, block * 4 + 4); ++j)
        out[j] = ((words[j - block * 4] >> 8) * 0x1p-24f - 0.5f) * scale;
    }
    return static_cast<int32_t>(stream.word_at(0) % static_cast<uint32_t>(num_classes_));
  }

 private:
  int64_t count_, num_classes_;
  Shape sample_shape_;
  uint64_t seed_;
};

class AugmentedSource final : public DatasetSource {
 public:
  AugmentedSource(std::shared_ptr<const ImageDataset> dataset, const AugmentedSourceOptions& options)
      : DatasetSource(std::move(dataset)), options_(options) {
    const int64_t crop = options_.transform.crop_size;
    if (crop > dataset_->height() || crop > dataset_->width())
      CONVOY_USER_ERROR(dataset_->path(), " holds ", dataset_->height(), "x", dataset_->width(),
                        " images, smaller than the ", crop, "x", crop, " crop the network needs");
    if (options_.eval_crops != 1 && options_.eval_crops != kTenCropCount)
      CONVOY_USER_ERROR("--eval-crops must be 1 or 10, got ", options_.eval_crops);
    if (options_.transform.pca == PcaMode::kDataset && !dataset_->has_pca())
      CONVOY_USER_ERROR(dataset_->path(), " has no pca_eigval/pca_eigvec for --pca dataset "
                        "(convert it with images_to_hdf5, or use --pca image or off)");
  }

  Shape sample_shape() const override {
    const int64_t crops = options_.training ? 1 : options_.eval_crops;
    return Shape{crops * dataset_->channels(), options_.transform.crop_size, options_.transform.crop_size};
  }
  int32_t load(int64_t index, int64_t epoch, float* out, int worker) override {
    ReadBuffers& buffers = this->buffers(worker);
    const int64_t crop = options_.transform.crop_size, height = dataset_->height(), width = dataset_->width();
    if (options_.training) {
      AugmentDraw draw;
      const ImageView window = training_window(index, epoch, buffers, draw);
      apply_train_transform(window, draw, options_.transform, out);
    } else if (options_.eval_crops == kTenCropCount) {
      ten_crop_transform(dataset_->read_window(index, 0, 0, height, width, buffers), options_.transform, out);
    } else {
      const ImageView window =
          dataset_->read_window(index, (height - crop) / 2, (width - crop) / 2, crop, crop, buffers);
      center_crop_transform(window, options_.transform, out);
    }
    return dataset_->label(index);
  }

  // Training and the centre crop; ten crops have no pixel form.
  Shape pixel_shape() const override {
    if (!options_.training && options_.eval_crops != 1) return Shape{};
    return Shape{options_.transform.crop_size, options_.transform.crop_size, dataset_->channels()};
  }
  int32_t load_pixels(int64_t index, int64_t epoch, uint8_t* out, PixelTransform& transform, int worker) override {
    CONVOY_CHECK(pixel_shape().rank() == 3, "ten-crop evaluation has no pixel form");
    ReadBuffers& buffers = this->buffers(worker);
    const int64_t crop = options_.transform.crop_size, height = dataset_->height(), width = dataset_->width();
    if (options_.training) {  // as load(): the window, then its map
      AugmentDraw draw;
      const ImageView window = training_window(index, epoch, buffers, draw);
      transform.affine = train_transform_affine(window, draw, options_.transform);
      transform.mirror = draw.flip ? 1 : 0;
      view_to_bytes(window, out);
    } else {
      view_to_bytes(dataset_->read_window(index, (height - crop) / 2, (width - crop) / 2, crop, crop, buffers), out);
      transform.affine = eval_transform_affine(dataset_->channels(), options_.transform);
      transform.mirror = 0;
    }
    return dataset_->label(index);
  }

 private:
  // Only the crop window of the sample's draw is read (decoded, for JPEG
  // sets); the draw then refers to that crop-sized view, at (0, 0).
  ImageView training_window(int64_t index, int64_t epoch, ReadBuffers& buffers, AugmentDraw& draw) {
    const int64_t crop = options_.transform.crop_size;
    draw = draw_augmentation(options_.seed, epoch, index, dataset_->height(), dataset_->width(), options_.transform);
    const ImageView window = dataset_->read_window(index, draw.top, draw.left, crop, crop, buffers);
    draw.top = draw.left = 0;
    return window;
  }

  AugmentedSourceOptions options_;
};

}  // namespace

void use_dataset_statistics(const ImageDataset& dataset, TransformOptions& transform) {
  for (int64_t c = 0; c < std::min<int64_t>(dataset.channels(), 3); ++c) {
    transform.mean[static_cast<size_t>(c)] = dataset.channel_mean()[static_cast<size_t>(c)];
    transform.std[static_cast<size_t>(c)] = dataset.channel_std()[static_cast<size_t>(c)];
  }
  if (dataset.has_pca()) transform.dataset_pca = dataset.pca();
}

std::unique_ptr<SampleSource> make_augmented_source(std::shared_ptr<const ImageDataset> dataset,
                                                    const AugmentedSourceOptions& options) {
  return std::make_unique<AugmentedSource>(std::move(dataset), options);
}

std::unique_ptr<SampleSource> make_normalized_source(std::shared_ptr<const ImageDataset> dataset,
                                                    const std::vector<double>& mean,
                                                    const std::vector<double>& std) {
  return std::make_unique<NormalizedSource>(std::move(dataset), mean, std);
}

std::unique_ptr<SampleSource> make_synthetic_source(int64_t count, int64_t num_classes,
                                                   const Shape& sample_shape, uint64_t seed) {
  return std::make_unique<SyntheticSource>(count, num_classes, sample_shape, seed);
}

}  // namespace convoy
