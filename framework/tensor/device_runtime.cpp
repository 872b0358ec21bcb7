#include "tensor/device_runtime.h"

#include "tensor/per_device_kind.h"

namespace convoy {

namespace {
constinit PerDeviceKind<DeviceRuntime*> registered;
}  // namespace

DeviceRuntime* register_device_runtime(DeviceKind kind, DeviceRuntime* runtime) {
  return registered.exchange(kind, runtime);
}

DeviceRuntime* find_device_runtime(DeviceKind kind) { return registered.find(kind); }

DeviceRuntime& device_runtime(DeviceKind kind, const std::string& what) { return *registered.require(kind, what); }

}  // namespace convoy
