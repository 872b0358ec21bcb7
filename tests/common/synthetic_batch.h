// A batch of MNIST-sized (1x28x28) samples for tests that train: sample i is a
// function of (seed, i) alone, so any rank or micro-batch can rebuild any row.
#pragma once

#include <cstdint>
#include <vector>

#include "core/philox.h"
#include "tensor/tensor.h"

namespace convoy::testing {

inline void make_synthetic_batch(uint64_t seed, int64_t first, int64_t batch, Tensor& images,
                                 std::vector<int32_t>& labels, std::vector<int64_t>& ids) {
  images = Tensor::empty(Shape{batch, 1, 28, 28});
  labels.resize(static_cast<size_t>(batch));
  ids.resize(static_cast<size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) {
    RandomStream rng(seed, RandomPurpose::kSynthetic, static_cast<uint64_t>(first + b));
    for (int64_t i = 0; i < 784; ++i) images.data()[b * 784 + i] = static_cast<float>(rng.next_normal());
    labels[static_cast<size_t>(b)] = static_cast<int32_t>(rng.next_word() % 10);
    ids[static_cast<size_t>(b)] = first + b;
  }
}

}  // namespace convoy::testing
