// The one place where the CUDA backend joins the rest of convoy: when the
// program starts, it registers its tensor runtime (tensor/device_runtime.h)
// and its platform (backend/device_platform.h) for DeviceKind::kCUDA. The
// build links this file into every program that links convoy (the anchor
// symbol below, named in framework/CMakeLists.txt), so a CUDA build's
// programs always have it; a build without CUDA has no such file, and the
// seams say "this build of convoy has no CUDA backend".
#include <memory>

#include "backend/backend.h"
#include "backend/batch_uploader.h"
#include "backend/cuda/caching_allocator.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/cuda_device.h"
#include "backend/device_platform.h"
#include "tensor/device_runtime.h"

namespace convoy {

Backend& cuda_backend(int device);  // backend/cuda/cuda_backend.cpp
namespace cuda {
std::unique_ptr<BatchUploader> make_cuda_batch_uploader(int device);  // backend/cuda/cuda_batch_uploader.cpp
}

namespace {

class CudaRuntime final : public DeviceRuntime {
 public:
  Allocator& allocator(int index) override { return cuda::caching_allocator(index); }
  void copy(void* dst, int dst_index, const void* src, int src_index, size_t bytes) override {
    cuda::copy(dst, dst_index, src, src_index, bytes);
  }
  void synchronize(int index) override { cuda::synchronize(index); }
  void fill(float* data, int index, float value, size_t count) override { cuda::fill(data, index, value, count); }
};

class CudaPlatform final : public DevicePlatform {
 public:
  Backend& backend(int index) override { return cuda_backend(index); }
  std::unique_ptr<BatchUploader> make_batch_uploader(int index) override {
    return cuda::make_cuda_batch_uploader(index);
  }
  int usable_devices(std::string* why, std::string* brief) override { return cuda::device_count(why, brief); }
  void configure_math(Precision precision, bool deterministic, bool measured_algorithms) override {
    cuda::set_measured_algorithms(measured_algorithms);
    cuda::set_math(precision == Precision::kTf32   ? cuda::Math::kTf32
                   : precision == Precision::kBf16 ? cuda::Math::kBf16
                                                   : cuda::Math::kFp32);
    cuda::set_deterministic_algorithms(deterministic);
  }
  std::string physical_id(int index) override { return cuda::pci_bus_id(index); }
};

int register_cuda_backend() {
  static CudaRuntime runtime;
  static CudaPlatform platform;
  register_device_runtime(DeviceKind::kCUDA, &runtime);
  register_device_platform(DeviceKind::kCUDA, &platform);
  return 1;
}

}  // namespace
}  // namespace convoy

// The anchor: framework/CMakeLists.txt makes every program that links convoy
// need this symbol, which brings this file (and its registration) in.
extern "C" const int convoy_cuda_backend_registered = convoy::register_cuda_backend();
