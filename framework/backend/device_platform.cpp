#include "backend/device_platform.h"

#include "tensor/per_device_kind.h"

namespace convoy {

namespace {
constinit PerDeviceKind<DevicePlatform*> registered;
}  // namespace

DevicePlatform* register_device_platform(DeviceKind kind, DevicePlatform* platform) {
  return registered.exchange(kind, platform);
}

DevicePlatform* find_device_platform(DeviceKind kind) { return registered.find(kind); }

DevicePlatform& device_platform(DeviceKind kind, const std::string& what) {
  if (DevicePlatform* platform = find_device_platform(kind)) return *platform;
  no_backend_for(kind, what);
}

}  // namespace convoy
