#include "tensor/allocator.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/error.h"
#ifdef CONVOY_WITH_CUDA
#include "backend/cuda/caching_allocator.h"
#include "backend/cuda/cuda_device.h"
#endif

namespace convoy {

namespace {
constexpr size_t kAlignment = 64;

class HostAllocator final : public Allocator {
 public:
  void* allocate(size_t bytes) override {
    const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
    void* block = std::aligned_alloc(kAlignment, rounded);
    if (!block) CONVOY_USER_ERROR("out of memory allocating ", bytes, " bytes");
    return block;
  }
  void deallocate(void* block) override { std::free(block); }
};
}  // namespace

Allocator& allocator_for(Device device) {
  static HostAllocator host;
  if (device.is_cpu()) return host;
#ifdef CONVOY_WITH_CUDA
  return cuda::caching_allocator(device.index);  // checks once that the device is there
#else
  CONVOY_USER_ERROR("a tensor on ", to_string(device), ": this build of convoy has no CUDA backend (it was configured "
                    "without CUDA)");
#endif
}

void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (bytes == 0) return;
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    std::memcpy(dst, src, bytes);
    return;
  }
#ifdef CONVOY_WITH_CUDA
  cuda::copy(dst, dst_device.is_cuda() ? dst_device.index : -1, src, src_device.is_cuda() ? src_device.index : -1,
             bytes);
#else
  CONVOY_USER_ERROR("a copy from ", to_string(src_device), " to ", to_string(dst_device),
                    ": this build of convoy has no CUDA backend");
#endif
}

void synchronize(Device device) {
  if (device.is_cpu()) return;
#ifdef CONVOY_WITH_CUDA
  cuda::synchronize(device.index);
#endif
}

void fill_floats(float* data, Device device, float value, size_t count) {
  if (device.is_cpu()) {
    std::fill(data, data + count, value);
    return;
  }
#ifdef CONVOY_WITH_CUDA
  cuda::fill(data, device.index, value, count);
#else
  CONVOY_USER_ERROR("filling a tensor on ", to_string(device), ": this build of convoy has no CUDA backend");
#endif
}

}  // namespace convoy
