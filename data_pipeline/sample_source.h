// SampleSource: one sample at a time, as the loader's worker threads ask for
// them: sample `index` (global, in the data set) of epoch `epoch`, written as
// C*H*W floats ready for the network (decoded, augmented, normalised).
// load() is called concurrently from several workers; `worker` says which,
// for per-worker scratch buffers and decoders.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/pixel_batch.h"
#include "core/shape.h"
#include "data_pipeline/transforms.h"
#include "tensor/tensor.h"

namespace convoy {

class ImageDataset;

class SampleSource {
 public:
  virtual ~SampleSource() = default;
  virtual int64_t size() const = 0;
  virtual int64_t num_classes() const = 0;
  virtual Shape sample_shape() const = 0;  // (C, H, W) of what load() writes
  // Called once before workers start: per-worker state for `workers` workers.
  virtual void prepare_workers(int workers) { (void)workers; }
  // Writes sample `index` to out (sample_shape().numel() floats); returns its label.
  virtual int32_t load(int64_t index, int64_t epoch, float* out, int worker) = 0;
  // The pixel form, for a GPU to normalise (core/pixel_batch.h): the
  // (height, width, channels) of what load_pixels() writes, or rank 0 where
  // this source has none (synthetic images, ten crops).
  virtual Shape pixel_shape() const { return Shape{}; }
  // Writes sample `index`'s bytes to out (pixel_shape().numel(), HWC) and the
  // map that turns them into exactly what load() writes; returns its label.
  virtual int32_t load_pixels(int64_t index, int64_t epoch, uint8_t* out, PixelTransform& transform, int worker);
  // Names a sample in error messages ("sample 12 (train.h5)").
  virtual std::string describe(int64_t index) const;
};

// Images of an ImageDataset, normalised per channel: (pixel / 255 - mean) / std,
// HWC uint8 -> CHW float. Pass the training set's mean and std for every split.
std::unique_ptr<SampleSource> make_normalized_source(std::shared_ptr<const ImageDataset> dataset,
                                                    const std::vector<double>& mean,
                                                    const std::vector<double>& std);

// `count` random images (uniform pixels, already normalised to mean 0, std 1)
// with random labels, each a pure function of (seed, sample index): for smoke
// runs and benchmarks.
std::unique_ptr<SampleSource> make_synthetic_source(int64_t count, int64_t num_classes,
                                                   const Shape& sample_shape, uint64_t seed);

// Images of a docs/data.md set through the docs/data.md augmentation transforms. Training: random crop,
// flip and PCA lighting keyed by (seed, epoch, sample), then normalisation.
// Evaluation: the centre crop, or with eval_crops = 10 the four corners, the
// centre and their mirrors (sample_shape is then (10 * C, crop, crop): the
// crops of one image, one after the other).
struct AugmentedSourceOptions {
  TransformOptions transform;  // mean, std and dataset PCA: the training set's
  bool training = true;
  uint64_t seed = 1;
  int eval_crops = 1;  // 1 or 10
};
// Sets transform's mean and std from the file's channel_mean/channel_std and,
// where the file has them, dataset_pca from its pca_eigval/pca_eigvec.
void use_dataset_statistics(const ImageDataset& dataset, TransformOptions& transform);

std::unique_ptr<SampleSource> make_augmented_source(std::shared_ptr<const ImageDataset> dataset,
                                                    const AugmentedSourceOptions& options);

}  // namespace convoy
