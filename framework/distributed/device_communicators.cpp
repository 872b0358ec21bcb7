#include "distributed/device_communicators.h"

#include "tensor/per_device_kind.h"

namespace convoy {

namespace {
constinit PerDeviceKind<DeviceCommunicatorFactory> registered;
}  // namespace

DeviceCommunicatorFactory register_device_communicator(DeviceKind kind, DeviceCommunicatorFactory factory) {
  return registered.exchange(kind, factory);
}

DeviceCommunicatorFactory find_device_communicator(DeviceKind kind) { return registered.find(kind); }

}  // namespace convoy
