// Where a Storage's bytes come from: one allocator per device. The host's is
// aligned_alloc (64-byte aligned, for the JIT kernels); a device's comes from
// the runtime its backend registered (tensor/device_runtime.h): for CUDA, the
// caching allocator (backend/cuda/caching_allocator.h), so that no step
// calls cudaMalloc.
#pragma once

#include <cstddef>

#include "tensor/device.h"

namespace convoy {

class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual void* allocate(size_t bytes) = 0;
  virtual void deallocate(void* block) = 0;
};

// The allocator of `device`; a user error when this build or this machine
// has no such device.
Allocator& allocator_for(Device device);

// Copies `bytes` between any two devices (plain memcpy on the host; the CUDA
// runtime when a device is involved, finished when this returns).
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes);

// Waits until the work queued for `device` is done (nothing to wait for on the host).
void synchronize(Device device);

// Sets `count` floats at `data` on `device` to `value`.
void fill_floats(float* data, Device device, float value, size_t count);

}  // namespace convoy
