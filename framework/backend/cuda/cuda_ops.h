// Factories of the CUDA ops (cuDNN and cuBLAS); cuda_backend.cpp assembles
// them into the Backend. Every tensor they see is plain (NCHW, row-major) and
// on the op's device; every call goes on that device's compute stream.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>

#include "backend/backend.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/cuda_kernels.h"

namespace convoy::cuda {

std::unique_ptr<Convolution2dOp> make_cuda_convolution2d(const Convolution2dConfig& config, int device);
std::unique_ptr<Pooling2dOp> make_cuda_pooling2d(const Pooling2dConfig& config, int device);
std::unique_ptr<LrnOp> make_cuda_lrn(const LrnConfig& config, int device);
std::unique_ptr<ActivationOp> make_cuda_activation(ActivationKind kind, int device);
std::unique_ptr<LinearOp> make_cuda_linear(int device);

// Checks that `t` is a plain tensor on cuda:`device` (an internal error names `what`).
void require_on(const Tensor& t, int device, const char* what);
// cuDNN's activation descriptor for `kind`.
cudnnActivationMode_t activation_mode(ActivationKind kind);

// bf16 words on a device (Math::kBf16): a buffer grown on demand and kept.
class Bf16Buffer {
 public:
  // At least n words.
  uint16_t* words(int64_t n, int device) {
    const int64_t floats = (n + 1) / 2;
    if (!storage_.defined() || storage_.numel() < floats)
      storage_ = Tensor::empty(Shape{std::max<int64_t>(floats, 1)}, Device::cuda(device));
    return reinterpret_cast<uint16_t*>(storage_.device_data());
  }
  // t's elements rounded to bf16 into the buffer, on `stream`.
  const uint16_t* round(const Tensor& t, int device, cudaStream_t stream) {
    uint16_t* w = words(t.numel(), device);
    round_to_bf16(t.device_data(), w, t.numel(), stream);
    return w;
  }
  uint16_t* data() { return reinterpret_cast<uint16_t*>(storage_.device_data()); }

 private:
  Tensor storage_;
};

}  // namespace convoy::cuda
