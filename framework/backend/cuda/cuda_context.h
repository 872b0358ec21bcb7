// One CUDA device's execution state: its compute stream (every kernel and
// library call for that device runs on it, in issue order, so no step needs a
// device-wide synchronisation) and the cuDNN and cuBLAS handles bound to it.
// Made on first use and kept for the process.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <cstddef>

namespace convoy::cuda {

struct DeviceContext {
  int device = 0;
  cudaStream_t stream = nullptr;
  cudnnHandle_t cudnn = nullptr;
  cublasHandle_t cublas = nullptr;

  // Scratch for cuDNN algorithms, grown on demand and kept (stream order
  // makes one buffer safe for every op of the device).
  void* workspace(size_t bytes);
  // Waits for the device's stream (a host read of a result).
  void synchronize() const;

 private:
  void* workspace_ = nullptr;
  size_t workspace_bytes_ = 0;
};

// Whether cuDNN must use deterministic algorithms only (bit-identical
// results run to run); set before the first op is built. Default: no.
void set_deterministic_algorithms(bool deterministic);
bool deterministic_algorithms();
// Whether a convolution measures cuDNN's algorithms for each new shape and
// takes the fastest (cudnnFind*), or takes the one cuDNN's heuristics rank
// first (always, under deterministic algorithms); read at a shape's first
// use. Default: measured.
void set_measured_algorithms(bool measured);
bool measured_algorithms();
// The math of convolutions and fully connected layers (--precision), read
// when an op is made:
//   kFp32  true fp32 (CUDNN_FMA_MATH, CUBLAS_DEFAULT_MATH with cublasSgemm), the default;
//   kTf32  TF32 tensor cores allowed (cuDNN's default math, CUBLAS_TF32_TENSOR_OP_MATH);
//   kBf16  inputs and weights rounded to bf16, products accumulated in fp32,
//          results, gradients and master weights kept in fp32 (as PyTorch's
//          autocast); every other op stays fp32.
enum class Math { kFp32, kTf32, kBf16 };
void set_math(Math math);
Math math();
// The cuBLAS math mode of `m`.
cublasMath_t cublas_math(Math m);

// The context of `device`, made current on the calling thread.
DeviceContext& context(int device);

}  // namespace convoy::cuda
