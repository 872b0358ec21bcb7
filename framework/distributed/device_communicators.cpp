#include "distributed/device_communicators.h"

#include <atomic>

#include "core/error.h"

namespace convoy {

namespace {
// Constant-initialised: ready for registrations from static initialisers.
constexpr int kKinds = static_cast<int>(DeviceKind::kCUDA) + 1;
std::atomic<DeviceCommunicatorFactory> registered[kKinds];

std::atomic<DeviceCommunicatorFactory>& slot(DeviceKind kind) {
  const int i = static_cast<int>(kind);
  CONVOY_CHECK(i >= 0 && i < kKinds, "device kind ", i, " out of range");
  return registered[i];
}
}  // namespace

DeviceCommunicatorFactory register_device_communicator(DeviceKind kind, DeviceCommunicatorFactory factory) {
  return slot(kind).exchange(factory, std::memory_order_acq_rel);
}

DeviceCommunicatorFactory find_device_communicator(DeviceKind kind) {
  return slot(kind).load(std::memory_order_acquire);
}

}  // namespace convoy
