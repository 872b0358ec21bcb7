#include "backend/device_platform.h"

#include <atomic>

#include "core/error.h"

namespace convoy {

namespace {
// Constant-initialised: ready for registrations from static initialisers.
constexpr int kKinds = static_cast<int>(DeviceKind::kCUDA) + 1;
std::atomic<DevicePlatform*> registered[kKinds];

std::atomic<DevicePlatform*>& slot(DeviceKind kind) {
  const int i = static_cast<int>(kind);
  CONVOY_CHECK(i >= 0 && i < kKinds, "device kind ", i, " out of range");
  return registered[i];
}
}  // namespace

DevicePlatform* register_device_platform(DeviceKind kind, DevicePlatform* platform) {
  return slot(kind).exchange(platform, std::memory_order_acq_rel);
}

DevicePlatform* find_device_platform(DeviceKind kind) { return slot(kind).load(std::memory_order_acquire); }

DevicePlatform& device_platform(DeviceKind kind, const std::string& what) {
  if (DevicePlatform* platform = find_device_platform(kind)) return *platform;
  CONVOY_USER_ERROR(what, ": this build of convoy has no ", kind == DeviceKind::kCUDA ? "CUDA" : "CPU",
                    " backend (it was configured without CUDA)");
}

}  // namespace convoy
