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

}  // namespace convoy::cuda
