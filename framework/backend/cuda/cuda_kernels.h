// The CUDA kernels convoy writes itself, only where no cuDNN or cuBLAS call
// fits. Each is launched on the given stream and its launch checked.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "core/pixel_batch.h"

namespace convoy::cuda {

// PyTorch's SGD, as the CPU backend's sgd_step: d = grad_scale * g +
// weight_decay * w; v = momentum * v + d; w -= lr * v.
void sgd_step(float* weight, const float* grad, float* velocity, int64_t n, float lr, float momentum,
              float weight_decay, float grad_scale, cudaStream_t stream);

// Inverted dropout with the CPU's keyed masks: element j of row b is kept
// when philox uniform(seed, dropout, step, sample_ids[b], layer, j) < keep.
// sample_ids is device memory (batch ids).
void dropout_forward(const float* x, float* mask, float* y, int64_t batch, int64_t width, float keep, uint64_t seed,
                     uint32_t step, uint32_t layer, const int64_t* sample_ids, cudaStream_t stream);

// out = a * b element-wise.
void multiply(const float* a, const float* b, float* out, int64_t n, cudaStream_t stream);

// values[i] = value.
void fill(float* values, float value, int64_t n, cudaStream_t stream);

// y[b, j] += bias[j] for a (batch, width) y.
void add_bias(float* y, const float* bias, int64_t batch, int64_t width, cudaStream_t stream);

// Softmax cross-entropy of (batch, classes) logits against device labels:
// probabilities, d(mean loss)/d(logits), and each row's loss (in double).
void softmax_cross_entropy(const float* logits, const int32_t* labels, float* probabilities, float* grad,
                           double* row_loss, int64_t batch, int64_t classes, cudaStream_t stream);

// *correct += the rows of (batch, classes) scores whose label ranks among
// the k highest (ties broken by lower class index first, as on the CPU).
void count_top_k_correct(const float* scores, const int32_t* labels, int64_t batch, int64_t classes, int k,
                         unsigned long long* correct, cudaStream_t stream);

// dst[i] = float_to_bf16(src[i]) (core/bfloat16.h), and back.
void round_to_bf16(const float* src, uint16_t* dst, int64_t n, cudaStream_t stream);
void widen_from_bf16(const uint16_t* src, float* dst, int64_t n, cudaStream_t stream);
// dst[i] += bf16_to_float(src[i]) (gradient accumulation).
void add_widened_bf16(const uint16_t* src, float* dst, int64_t n, cudaStream_t stream);

// *first = min(*first, index of the first non-finite value of values[0, n)).
// Set *first to ~0ull before.
void first_non_finite(const float* values, int64_t n, unsigned long long* first, cudaStream_t stream);

// Local response normalisation across channels exactly as docs/models.md
// states it, for the parameters cuDNN refuses (k < 1e-5, a window over 16,
// beta < 0.01): scale = k + alpha * sum of x^2 over channels [c - radius,
// c + radius], y = x * scale^-beta, for (batch, channels, spatial) x.
void lrn_forward(const float* x, float* y, float* scale, int64_t batch, int64_t channels, int64_t spatial, int radius,
                 float alpha, float beta, float k, cudaStream_t stream);
// dx = dy * scale^-beta - 2 alpha beta x * sum over the window of dy * y / scale.
void lrn_backward(const float* x, const float* y, const float* scale, const float* dy, float* dx, int64_t batch,
                  int64_t channels, int64_t spatial, int radius, float alpha, float beta, cudaStream_t stream);

// 8-bit HWC samples to (count, channels, height, width) floats with each
// sample's map (core/pixel_batch.h): out = float(pixel) * scale[c] + bias[c],
// rounded after the multiply and after the add, as on the host.
void normalise_pixels(const uint8_t* pixels, const PixelTransform* transforms, float* out, int64_t count,
                      int64_t channels, int64_t height, int64_t width, cudaStream_t stream);

}  // namespace convoy::cuda
