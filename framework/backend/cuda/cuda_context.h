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
// Whether cuDNN convolutions and cuBLAS products may use TF32 tensor cores
// (--precision tf32); set before the device's first op. Default: no (true
// fp32: CUDNN_FMA_MATH, CUBLAS_PEDANTIC_MATH).
void set_tf32_math(bool allowed);
bool tf32_math();

// The context of `device`, made current on the calling thread.
DeviceContext& context(int device);

}  // namespace convoy::cuda
