#include "tensor/device_runtime.h"

#include <atomic>

#include "core/error.h"

namespace convoy {

namespace {
// Constant-initialised, so a registration from another file's static
// initialiser finds it ready whatever the order of initialisation.
constexpr int kKinds = static_cast<int>(DeviceKind::kCUDA) + 1;
std::atomic<DeviceRuntime*> registered[kKinds];

std::atomic<DeviceRuntime*>& slot(DeviceKind kind) {
  const int i = static_cast<int>(kind);
  CONVOY_CHECK(i >= 0 && i < kKinds, "device kind ", i, " out of range");
  return registered[i];
}
}  // namespace

DeviceRuntime* register_device_runtime(DeviceKind kind, DeviceRuntime* runtime) {
  return slot(kind).exchange(runtime, std::memory_order_acq_rel);
}

DeviceRuntime* find_device_runtime(DeviceKind kind) { return slot(kind).load(std::memory_order_acquire); }

DeviceRuntime& device_runtime(DeviceKind kind, const std::string& what) {
  if (DeviceRuntime* runtime = find_device_runtime(kind)) return *runtime;
  CONVOY_USER_ERROR(what, ": this build of convoy has no ", kind == DeviceKind::kCUDA ? "CUDA" : "CPU",
                    " backend (it was configured without CUDA)");
}

}  // namespace convoy
