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
  return *registered.require(kind, what);
}

}  // namespace convoy
