// The CUDA kernels convoy writes itself, only where no cuDNN or cuBLAS call
// fits. Each is launched on the given stream and its launch checked.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

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

}  // namespace convoy::cuda
