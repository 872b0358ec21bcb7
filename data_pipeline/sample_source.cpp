#include "data_pipeline/sample_source.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/philox.h"
#include "data_pipeline/hdf5_dataset.h"

namespace convoy {

std::string SampleSource::describe(int64_t index) const { return "sample " + std::to_string(index); }

namespace {

class NormalizedSource final : public SampleSource {
 public:
  NormalizedSource(std::shared_ptr<const InMemoryImageDataset> dataset, const std::vector<double>& mean,
                   const std::vector<double>& std_dev)
      : dataset_(std::move(dataset)) {
    const int64_t c = dataset_->channels();
    if (static_cast<int64_t>(mean.size()) != c || static_cast<int64_t>(std_dev.size()) != c)
      CONVOY_USER_ERROR(dataset_->path(), ": normalisation needs ", c, " channel means and stds, got ",
                        mean.size(), " and ", std_dev.size());
    // One lookup table per channel: pixel value -> normalised float.
    table_.resize(static_cast<size_t>(c * 256));
    for (int64_t ch = 0; ch < c; ++ch) {
      const double scale = std_dev[ch] > 1e-12 ? std_dev[ch] : 1.0;
      for (int v = 0; v < 256; ++v)
        table_[ch * 256 + v] = static_cast<float>((v / 255.0 - mean[ch]) / scale);
    }
  }

  int64_t size() const override { return dataset_->size(); }
  int64_t num_classes() const override { return dataset_->num_classes(); }
  Shape sample_shape() const override {
    return Shape{dataset_->channels(), dataset_->height(), dataset_->width()};
  }

  int32_t load(int64_t index, int64_t, float* out, int) override {
    CONVOY_CHECK(index >= 0 && index < dataset_->size(), "sample ", index, " outside ",
                 dataset_->path(), " (", dataset_->size(), " samples)");
    const int64_t c = dataset_->channels(), hw = dataset_->height() * dataset_->width();
    const uint8_t* pixels = dataset_->image(index);
    for (int64_t ch = 0; ch < c; ++ch) {
      const float* lut = table_.data() + ch * 256;
      float* plane = out + ch * hw;
      for (int64_t p = 0; p < hw; ++p) plane[p] = lut[pixels[p * c + ch]];
    }
    return dataset_->label(index);
  }

  std::string describe(int64_t index) const override {
    return "sample " + std::to_string(index) + " of " + dataset_->path();
  }

 private:
  std::shared_ptr<const InMemoryImageDataset> dataset_;
  std::vector<float> table_;
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

}  // namespace

std::unique_ptr<SampleSource> make_normalized_source(std::shared_ptr<const InMemoryImageDataset> dataset,
                                                    const std::vector<double>& mean,
                                                    const std::vector<double>& std) {
  return std::make_unique<NormalizedSource>(std::move(dataset), mean, std);
}

std::unique_ptr<SampleSource> make_synthetic_source(int64_t count, int64_t num_classes,
                                                   const Shape& sample_shape, uint64_t seed) {
  return std::make_unique<SyntheticSource>(count, num_classes, sample_shape, seed);
}

}  // namespace convoy
