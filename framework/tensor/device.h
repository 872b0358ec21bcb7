// Where a tensor's memory lives: the host, or CUDA device `index`. The device
// picks the backend (never a global mode).
#pragma once

#include <string>

namespace convoy {

enum class DeviceKind { kCPU, kCUDA };

struct Device {
  DeviceKind kind = DeviceKind::kCPU;
  int index = 0;

  static const Device kCPU;
  static constexpr Device cuda(int index = 0) { return Device{DeviceKind::kCUDA, index}; }
  constexpr bool is_cpu() const { return kind == DeviceKind::kCPU; }
  constexpr bool is_cuda() const { return kind == DeviceKind::kCUDA; }
  friend constexpr bool operator==(const Device&, const Device&) = default;
};
inline constexpr Device Device::kCPU{DeviceKind::kCPU, 0};

// "cpu", "cuda:0"
std::string to_string(Device device);
// Reads "cpu", "cuda" (device 0) or "cuda:N"; a user error naming `option` otherwise.
Device parse_device(const std::string& text, const std::string& option);

}  // namespace convoy
