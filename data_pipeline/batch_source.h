// BatchSource: what the trainer reads batches from. Given the samples' global
// indices it writes a (B, C, H, W) float batch and their labels, reusing the
// caller's buffers. The threaded, augmenting loader of the data-pipeline work
// implements the same interface.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/shape.h"
#include "tensor/tensor.h"

namespace convoy {

class InMemoryImageDataset;

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  virtual int64_t size() const = 0;
  virtual int64_t num_classes() const = 0;
  virtual Shape sample_shape() const = 0;  // (C, H, W)
  // images is resized with ensure_shape: allocate once, reuse every step.
  virtual void fill(std::span<const int64_t> indices, Tensor& images,
                    std::vector<int32_t>& labels) = 0;
};

// Images of an in-memory dataset, normalised per channel: (pixel / 255 - mean) / std,
// HWC uint8 -> CHW float. Pass the training set's mean and std for every split.
std::unique_ptr<BatchSource> make_normalized_source(std::shared_ptr<const InMemoryImageDataset> dataset,
                                                    const std::vector<double>& mean,
                                                    const std::vector<double>& std);

// `count` random images (uniform pixels, already normalised to mean 0, std 1)
// with random labels, each a pure function of (seed, sample index): for smoke
// runs and benchmarks.
std::unique_ptr<BatchSource> make_synthetic_source(int64_t count, int64_t num_classes,
                                                   const Shape& sample_shape, uint64_t seed);

}  // namespace convoy
