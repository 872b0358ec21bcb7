// The fixed (shape-independent) settings of each primitive. A backend builds
// an op from a config; the op caches descriptors and buffers per input shape.
#pragma once

#include <cstdint>
#include <optional>

namespace convoy {

enum class ActivationKind { kRelu, kSigmoid };

struct Convolution2dConfig {
  int64_t in_channels = 0, out_channels = 0;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  // Applied to the output inside the primitive (oneDNN post-op): one pass
  // over memory less, and no eltwise kernel on a padded layout.
  std::optional<ActivationKind> fused_activation;
};

enum class PoolingKind { kMax, kAverage };

struct Pooling2dConfig {
  PoolingKind kind = PoolingKind::kMax;
  int64_t window_h = 2, window_w = 2;
  int64_t stride_h = 2, stride_w = 2;
  int64_t pad_h = 0, pad_w = 0;
};

// Local response normalisation with docs/models.md's semantics: alpha is not divided by
// the window, the window spans channels [i - n/2, i + n/2] (n/2 integer division).
struct LrnConfig {
  int64_t local_size = 5;  // n
  double alpha = 1e-4, beta = 0.75, k = 2.0;
};

}  // namespace convoy
