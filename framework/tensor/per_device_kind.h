// One value per kind of device, set and read from any thread, ready before any
// static initialiser runs (constant-initialised): the registries through which
// a device's backend joins convoy (tensor/device_runtime.h,
// backend/device_platform.h, distributed/device_communicators.h) keep their
// entries in one of these.
#pragma once

#include <atomic>
#include <string>

#include "tensor/device.h"

namespace convoy {

// The user error for `what` on a kind of device this build has no backend for
// ("a tensor on cuda:0: this build of convoy has no CUDA backend ...").
[[noreturn]] void no_backend_for(DeviceKind kind, const std::string& what);

template <class T>
class PerDeviceKind {
 public:
  constexpr PerDeviceKind() = default;
  // Sets the value of `kind` and returns the one it replaces.
  T exchange(DeviceKind kind, T value) { return slots_[index(kind)].exchange(value, std::memory_order_acq_rel); }
  T find(DeviceKind kind) const { return slots_[index(kind)].load(std::memory_order_acquire); }
  // The value of `kind`; no_backend_for(kind, what) when there is none.
  T require(DeviceKind kind, const std::string& what) const {
    if (T value = find(kind)) return value;
    no_backend_for(kind, what);
  }

 private:
  static constexpr int kKinds = static_cast<int>(DeviceKind::kCUDA) + 1;
  static int index(DeviceKind kind) { return static_cast<int>(kind); }
  std::atomic<T> slots_[kKinds]{};
};

}  // namespace convoy
