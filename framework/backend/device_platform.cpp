#include "backend/device_platform.h"

#include "tensor/per_device_kind.h"

namespace convoy {

namespace {
constinit PerDeviceKind<DevicePlatform*> registered;
}  // namespace

std::span<const NamedValue<Precision>> named_values(Precision) {
  static constexpr NamedValue<Precision> kNames[] = {
      {Precision::kFp32, "fp32"}, {Precision::kTf32, "tf32"}, {Precision::kBf16, "bf16"}};
  return kNames;
}

DevicePlatform* register_device_platform(DeviceKind kind, DevicePlatform* platform) {
  return registered.exchange(kind, platform);
}

DevicePlatform* find_device_platform(DeviceKind kind) { return registered.find(kind); }

DevicePlatform& device_platform(DeviceKind kind, const std::string& what) {
  return *registered.require(kind, what);
}

}  // namespace convoy
