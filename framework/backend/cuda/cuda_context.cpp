#include "backend/cuda/cuda_context.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "backend/cuda/caching_allocator.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_device.h"
#include "backend/cuda/per_device.h"
#include "core/error.h"

namespace convoy::cuda {

void* DeviceContext::workspace(size_t bytes) {
  if (bytes <= workspace_bytes_) return workspace_;
  if (workspace_) caching_allocator(device).deallocate(workspace_);
  workspace_ = caching_allocator(device).allocate(bytes);
  workspace_bytes_ = bytes;
  return workspace_;
}

void DeviceContext::synchronize() const { CONVOY_CUDA(cudaStreamSynchronize, "device stream", stream); }

namespace {
std::atomic<bool> g_deterministic{false};
std::atomic<bool> g_measured{true};
std::atomic<Math> g_math{Math::kFp32};
}  // namespace

void set_deterministic_algorithms(bool deterministic) { g_deterministic = deterministic; }
bool deterministic_algorithms() { return g_deterministic.load(); }
void set_measured_algorithms(bool measured) { g_measured = measured; }
bool measured_algorithms() { return g_measured.load(); }
void set_math(Math m) { g_math = m; }
Math math() { return g_math.load(); }
cublasMath_t cublas_math(Math m) {
  switch (m) {
    case Math::kTf32: return CUBLAS_TF32_TENSOR_OP_MATH;
    case Math::kBf16: return CUBLAS_DEFAULT_MATH;
    case Math::kFp32: break;
  }
  // Still true fp32 for cublasSgemm: TF32 and BF16x9 emulation need their
  // own modes. PEDANTIC would also forbid optimisations that keep fp32
  // (it is meant for testing), and PyTorch's fp32 uses DEFAULT too.
  return CUBLAS_DEFAULT_MATH;
}

DeviceContext& context(int device) {
  static auto& contexts = *new PerDevice<DeviceContext>;  // never destroyed: see per_device.h
  DeviceContext& made = contexts.get(device, [device] {
    require_device(device, "cuda:" + std::to_string(device));
    auto c = std::make_unique<DeviceContext>();
    c->device = device;
    CONVOY_CUDA(cudaSetDevice, "cuda:" + std::to_string(device), device);
    CONVOY_CUDA(cudaStreamCreateWithFlags, "compute stream", &c->stream, cudaStreamNonBlocking);
    CONVOY_CUDA(cudnnCreate, "cuDNN handle", &c->cudnn);
    CONVOY_CUDA(cudnnSetStream, "cuDNN handle", c->cudnn, c->stream);
    CONVOY_CUDA(cublasCreate, "cuBLAS handle", &c->cublas);
    CONVOY_CUDA(cublasSetStream, "cuBLAS handle", c->cublas, c->stream);
    // True fp32 by default; each linear op sets its own math before its calls.
    CONVOY_CUDA(cublasSetMathMode, "cuBLAS handle", c->cublas, cublas_math(Math::kFp32));
    return c;
  });
  CONVOY_CUDA(cudaSetDevice, "cuda:" + std::to_string(device), device);
  return made;
}

}  // namespace convoy::cuda
