// The seam between tensors and the code that runs a kind of device. tensor/
// serves the host itself; a device's backend (backend/cuda) registers a
// DeviceRuntime for its kind when the program starts, as c10 registers its
// allocators, so that tensor/ never includes a backend.
#pragma once

#include <cstddef>
#include <string>

#include "tensor/allocator.h"
#include "tensor/device.h"

namespace convoy {

class DeviceRuntime {
 public:
  virtual ~DeviceRuntime() = default;
  // The allocator of device `index` (it checks once that the device is there).
  virtual Allocator& allocator(int index) = 0;
  // Copies `bytes` between the host (index -1) and a device, or between two
  // devices; finished when it returns.
  virtual void copy(void* dst, int dst_index, const void* src, int src_index, size_t bytes) = 0;
  // Waits until the work queued for device `index` is done.
  virtual void synchronize(int index) = 0;
  // Sets `count` floats at `data` on device `index` to `value`.
  virtual void fill(float* data, int index, float value, size_t count) = 0;
};

// Registers `runtime` for the devices of `kind` (it must live as long as the
// program, or until it is replaced; null removes the registration) and
// returns the one it replaces.
DeviceRuntime* register_device_runtime(DeviceKind kind, DeviceRuntime* runtime);

// The runtime of `kind`, or null when this build has none (the CPU's is
// never registered: tensor/ serves the host itself).
DeviceRuntime* find_device_runtime(DeviceKind kind);

// The runtime of `kind`; a user error beginning with `what` when this build has none.
DeviceRuntime& device_runtime(DeviceKind kind, const std::string& what);

}  // namespace convoy
