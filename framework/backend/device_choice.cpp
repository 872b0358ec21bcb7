#include "backend/device_choice.h"

#include "core/error.h"

namespace convoy {

int usable_cuda_devices(std::string* why, std::string* brief) {
  if (DevicePlatform* cuda = find_device_platform(DeviceKind::kCUDA)) return cuda->usable_devices(why, brief);
  if (brief) *brief = "this build of convoy has no CUDA backend";
  if (why) *why = "this build of convoy has no CUDA backend (it was configured without CUDA)";
  return 0;
}

DeviceRequest DeviceRequest::parse(const std::string& text) {
  if (text == "auto") return {Kind::kAuto, 0};
  Device device;
  try {
    device = parse_device(text, "--device");
  } catch (const Error&) {
    CONVOY_USER_ERROR("--device '", text, "' is not a device: use auto, cpu, cuda or cuda:N");
  }
  if (device.is_cpu()) return {Kind::kCpu, 0};
  if (text == "cuda") return {Kind::kLocalGpu, 0};
  return {Kind::kGpu, device.index};
}

std::string DeviceRequest::to_string() const {
  switch (kind) {
    case Kind::kAuto: return "auto";
    case Kind::kCpu: return "cpu";
    case Kind::kLocalGpu: return "cuda";
    case Kind::kGpu: return "cuda:" + std::to_string(index);
  }
  return "auto";
}

DeviceChoice choose_device(const std::string& option, int local_rank) {
  return choose_device(DeviceRequest::parse(option), local_rank);
}

DeviceChoice choose_device(const DeviceRequest& request, int local_rank) {
  using Kind = DeviceRequest::Kind;
  if (request.kind == Kind::kAuto) {
    std::string brief;
    if (usable_cuda_devices(nullptr, &brief) == 0)
      return {Device::kCPU, "no usable GPU (" + brief + "): training on the CPU"};
    return choose_device(DeviceRequest{Kind::kLocalGpu, 0}, local_rank);
  }
  if (request.kind == Kind::kCpu) return {Device::kCPU, ""};
  const std::string option = request.to_string();
  std::string why;
  const int count = usable_cuda_devices(&why);
  if (count == 0) CONVOY_USER_ERROR("--device ", option, ": ", why, " (use --device cpu)");
  if (request.kind == Kind::kLocalGpu) return {Device::cuda(local_rank % count), ""};
  if (request.index >= count)
    CONVOY_USER_ERROR("--device ", option, ": there is no CUDA device ", request.index, " (this process sees ", count,
                      count == 1 ? " device, 0" : " devices, 0-" + std::to_string(count - 1), ")");
  return {Device::cuda(request.index), ""};
}

std::span<const NamedValue<ConvAlgorithms>> named_values(ConvAlgorithms) {
  static constexpr NamedValue<ConvAlgorithms> kNames[] = {{ConvAlgorithms::kMeasured, "measured"},
                                                         {ConvAlgorithms::kHeuristic, "heuristic"}};
  return kNames;
}

void configure_gpu_math(Precision precision, bool deterministic, ConvAlgorithms algorithms) {
  if (DevicePlatform* cuda = find_device_platform(DeviceKind::kCUDA))
    cuda->configure_math(precision, deterministic, algorithms == ConvAlgorithms::kMeasured);
}

}  // namespace convoy
