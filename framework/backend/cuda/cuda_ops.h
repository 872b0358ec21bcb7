// Factories of the CUDA ops (cuDNN and cuBLAS); cuda_backend.cpp assembles
// them into the Backend. Every tensor they see is plain (NCHW, row-major) and
// on the op's device; every call goes on that device's compute stream.
#pragma once

#include <memory>

#include "backend/backend.h"
#include "backend/cuda/cuda_context.h"

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

}  // namespace convoy::cuda
