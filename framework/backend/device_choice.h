// Which device a training process computes on (--device), and the GPU math
// it may use (--precision, --deterministic).
#pragma once

#include <string>

#include "backend/device_platform.h"
#include "tensor/device.h"

namespace convoy {

// How many CUDA devices this process can use: 0 when this build has no CUDA
// backend or the machine no usable GPU, with `why` (if given) saying which,
// and `brief` the same in a few plain words.
int usable_cuda_devices(std::string* why = nullptr, std::string* brief = nullptr);

struct DeviceChoice {
  Device device;
  std::string note;  // why "auto" chose the CPU; empty otherwise
};

// --device, read once: auto | cpu | cuda (the GPU of the local rank) | cuda:N.
struct DeviceRequest {
  enum class Kind { kAuto, kCpu, kLocalGpu, kGpu };
  Kind kind = Kind::kAuto;
  int index = 0;  // kGpu: N
  // A user error naming --device for anything else.
  static DeviceRequest parse(const std::string& text);
  std::string to_string() const;  // as parse reads it
  bool operator==(const DeviceRequest&) const = default;
};

// Resolves --device for a rank that is `local_rank` among its node's ranks:
//   cpu     the CPU;
//   cuda    the GPU local_rank mod the GPUs this process sees, so that
//           mpirun on a node of 8 GPUs (each rank sees all 8) and Slurm's
//           --gpus-per-task=1 (each rank sees its own device 0) both work;
//   cuda:N  that GPU;
//   auto    cuda when there is a usable GPU, else the CPU with a note.
// A user error naming the option when a GPU is asked for and there is none.
DeviceChoice choose_device(const DeviceRequest& request, int local_rank);
// The same for --device as written ("cuda:1").
DeviceChoice choose_device(const std::string& option, int local_rank);

// --conv-algorithms: how cuDNN's convolution algorithms are chosen.
enum class ConvAlgorithms { kMeasured, kHeuristic };
std::span<const NamedValue<ConvAlgorithms>> named_values(ConvAlgorithms);  // measured | heuristic

// Before a model's first GPU op: fp32 is true fp32; tf32 lets cuDNN
// convolutions and cuBLAS products use TF32 tensor cores; bf16 computes them
// on bf16 inputs and weights with fp32 accumulation, fp32 master weights and
// fp32 elsewhere (backend/cuda/cuda_context.h). deterministic makes cuDNN
// use deterministic algorithms only. The CPU backend computes in fp32
// whatever the precision.
// ConvAlgorithms::kMeasured: cuDNN's convolution algorithms are timed once
// per shape and the fastest taken (as PyTorch's cudnn.benchmark); kHeuristic:
// cuDNN's heuristics choose, with no trial runs.
void configure_gpu_math(Precision precision, bool deterministic,
                        ConvAlgorithms algorithms = ConvAlgorithms::kMeasured);

}  // namespace convoy
