// What a kind of device offers above its tensors: a Backend per device, the
// uploader that feeds it batches, how many there are, its math settings and
// the physical identity of each. Each device's backend (backend/cpu,
// backend/cuda) registers a DevicePlatform for its kind when the
// program starts, beside its tensor runtime (tensor/device_runtime.h), so
// that nothing outside backend/cuda includes it or asks whether it was built.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "core/named_values.h"
#include "tensor/device.h"

namespace convoy {

class Backend;
class BatchUploader;

// The math of convolutions and fully connected layers on a device
// (--precision); the CPU computes in fp32 whatever is asked.
enum class Precision { kFp32, kTf32, kBf16 };
std::span<const NamedValue<Precision>> named_values(Precision);  // fp32 | tf32 | bf16

class DevicePlatform {
 public:
  virtual ~DevicePlatform() = default;
  // The backend that serves tensors on device `index`.
  virtual Backend& backend(int index) = 0;
  // The uploader that moves host batches to device `index`.
  virtual std::unique_ptr<BatchUploader> make_batch_uploader(int index) = 0;
  // How many devices this process can use: 0 with `why` (if given) saying
  // why not, and `brief` the same in a few plain words.
  virtual int usable_devices(std::string* why, std::string* brief) = 0;
  // Before a model's first op on such a device (backend/device_choice.h).
  virtual void configure_math(Precision precision, bool deterministic, bool measured_algorithms) = 0;
  // Names device `index` whatever the process's numbering (for a GPU, its
  // PCI bus id), so that ranks can tell whether they would share one.
  virtual std::string physical_id(int index) = 0;
};

// Registers `platform` for the devices of `kind` (it must live as long as the
// program, or until it is replaced; null removes the registration) and
// returns the one it replaces.
DevicePlatform* register_device_platform(DeviceKind kind, DevicePlatform* platform);

// The platform of `kind`, or null when this build has none.
DevicePlatform* find_device_platform(DeviceKind kind);

// The platform of `kind`; a user error beginning with `what` when this build has none.
DevicePlatform& device_platform(DeviceKind kind, const std::string& what);

}  // namespace convoy
