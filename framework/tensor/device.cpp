#include "tensor/device.h"

#include <cctype>

#include "core/error.h"

namespace convoy {

std::string to_string(Device device) {
  return device.is_cpu() ? "cpu" : "cuda:" + std::to_string(device.index);
}

Device parse_device(const std::string& text, const std::string& option) {
  if (text == "cpu") return Device::kCPU;
  if (text == "cuda") return Device::cuda(0);
  const std::string prefix = "cuda:";
  if (text.rfind(prefix, 0) == 0 && text.size() > prefix.size() && text.size() <= prefix.size() + 4) {
    int index = 0;
    for (size_t i = prefix.size(); i < text.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i]))) index = -1;
      if (index >= 0) index = index * 10 + (text[i] - '0');
    }
    if (index >= 0) return Device::cuda(index);
  }
  CONVOY_USER_ERROR(option, " '", text, "' is not a device: use cpu, cuda or cuda:N");
}

}  // namespace convoy
