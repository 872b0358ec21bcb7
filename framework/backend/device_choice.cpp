#include "backend/device_choice.h"

#include "core/error.h"

namespace convoy {

int usable_cuda_devices(std::string* why, std::string* brief) {
  if (DevicePlatform* cuda = find_device_platform(DeviceKind::kCUDA)) return cuda->usable_devices(why, brief);
  if (brief) *brief = "this build of convoy has no CUDA backend";
  if (why) *why = "this build of convoy has no CUDA backend (it was configured without CUDA)";
  return 0;
}

DeviceChoice choose_device(const std::string& option, int local_rank, int local_size) {
  if (option == "auto") {
    std::string brief;
    const int gpus = usable_cuda_devices(nullptr, &brief);
    if (gpus == 0) return {Device::kCPU, "no usable GPU (" + brief + "): training on the CPU"};
    // Every rank of the node sees the same count and decides alike.
    if (gpus < local_size)
      return {Device::kCPU, std::to_string(local_size) + " ranks on this node and " + std::to_string(gpus) +
                                " usable GPU" + (gpus == 1 ? "" : "s") +
                                ": NCCL needs a GPU for each rank, so every rank trains on the CPU (start at most " +
                                std::to_string(gpus) + " rank" + (gpus == 1 ? "" : "s") +
                                " per node to train on the GPUs)"};
    return choose_device("cuda", local_rank);
  }
  const Device asked = parse_device(option, "--device");
  if (asked.is_cpu()) return {asked, ""};
  std::string why;
  const int count = usable_cuda_devices(&why);
  if (count == 0) CONVOY_USER_ERROR("--device ", option, ": ", why, " (use --device cpu)");
  if (option == "cuda") return {Device::cuda(local_rank % count), ""};
  if (asked.index >= count)
    CONVOY_USER_ERROR("--device ", option, ": there is no CUDA device ", asked.index, " (this process sees ", count,
                      count == 1 ? " device, 0" : " devices, 0-" + std::to_string(count - 1), ")");
  return {asked, ""};
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
