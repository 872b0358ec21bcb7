// Where a tensor's memory lives; the device picks the backend (never a global mode).
#pragma once

#include <string>

namespace convoy {

enum class Device { kCPU, kCUDA };

inline std::string to_string(Device device) { return device == Device::kCPU ? "cpu" : "cuda"; }

}  // namespace convoy
