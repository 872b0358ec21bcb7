#include "backend/cuda/cuda_device.h"

#include <cuda_runtime_api.h>

#include <cstdio>

#include "backend/cuda/cuda_check.h"
#include "core/error.h"

namespace convoy::cuda {

int device_count(std::string* why) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    if (why)
      *why = std::string("cudaGetDeviceCount: ") + cudaGetErrorString(status) + " (" + cudaGetErrorName(status) +
             ", error " + std::to_string(static_cast<int>(status)) + ")";
    return 0;
  }
  if (count == 0 && why) *why = "cudaGetDeviceCount: no CUDA device";
  return count;
}

std::string describe_device(int index) {
  cudaDeviceProp properties{};
  CONVOY_CUDA(cudaGetDeviceProperties, "device " + std::to_string(index), &properties, index);
  char text[512];
  std::snprintf(text, sizeof text, "%s, sm_%d%d, %.1f GiB", properties.name, properties.major, properties.minor,
                static_cast<double>(properties.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0));
  return text;
}

void copy(void* dst, bool dst_on_device, const void* src, bool src_on_device, size_t bytes) {
  const cudaMemcpyKind kind = dst_on_device ? (src_on_device ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
                                            : (src_on_device ? cudaMemcpyDeviceToHost : cudaMemcpyHostToHost);
  CONVOY_CUDA(cudaMemcpy, std::to_string(bytes) + " bytes", dst, src, bytes, kind);
}

void require_device(int index, const std::string& option) {
  std::string why;
  const int count = device_count(&why);
  if (count == 0) CONVOY_USER_ERROR(option, ": this machine has no usable CUDA device (", why, ")");
  if (index < 0 || index >= count)
    CONVOY_USER_ERROR(option, ": there is no CUDA device ", index, " (this process sees ", count,
                      count == 1 ? " device" : " devices", ": 0", count > 1 ? "-" + std::to_string(count - 1) : "",
                      ")");
}

}  // namespace convoy::cuda
