#include "tensor/allocator.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/error.h"
#include "tensor/device_runtime.h"

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
  return device_runtime(device.kind, "a tensor on " + to_string(device)).allocator(device.index);
}

void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (bytes == 0) return;
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    std::memcpy(dst, src, bytes);
    return;
  }
  const Device device = dst_device.is_cpu() ? src_device : dst_device;
  device_runtime(device.kind, "a copy from " + to_string(src_device) + " to " + to_string(dst_device))
      .copy(dst, dst_device.is_cpu() ? -1 : dst_device.index, src, src_device.is_cpu() ? -1 : src_device.index, bytes);
}

void synchronize(Device device) {
  if (device.is_cpu()) return;
  if (DeviceRuntime* runtime = find_device_runtime(device.kind)) runtime->synchronize(device.index);
}

void fill_floats(float* data, Device device, float value, size_t count) {
  if (device.is_cpu()) {
    std::fill(data, data + count, value);
    return;
  }
  device_runtime(device.kind, "filling a tensor on " + to_string(device)).fill(data, device.index, value, count);
}

}  // namespace convoy
