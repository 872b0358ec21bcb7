#include "backend/cuda/cuda_device.h"

#include <cuda_runtime_api.h>

#include <cstdio>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/cuda_kernels.h"
#include "core/error.h"

namespace convoy::cuda {

int device_count(std::string* why, std::string* brief) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    if (brief) *brief = cudaGetErrorString(status);
    if (why)
      *why = std::string("cudaGetDeviceCount: ") + cudaGetErrorString(status) + " (" + cudaGetErrorName(status) +
             ", error " + std::to_string(static_cast<int>(status)) + ")";
    return 0;
  }
  if (count == 0 && why) *why = "cudaGetDeviceCount: no CUDA device";
  if (count == 0 && brief) *brief = "no CUDA device";
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

std::string pci_bus_id(int index) {
  char id[32] = {};
  CONVOY_CUDA(cudaDeviceGetPCIBusId, "device " + std::to_string(index), id, sizeof id, index);
  return id;
}

void copy(void* dst, int dst_device, const void* src, int src_device, size_t bytes) {
  const bool to_device = dst_device >= 0, from_device = src_device >= 0;
  const cudaMemcpyKind kind = to_device ? (from_device ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
                                        : (from_device ? cudaMemcpyDeviceToHost : cudaMemcpyHostToHost);
  // The compute streams do not synchronise with the legacy default stream:
  // copy on the stream that produced (or will consume) the data.
  if (from_device && to_device && src_device != dst_device) context(src_device).synchronize();
  DeviceContext& c = context(to_device ? dst_device : src_device);
  CONVOY_CUDA(cudaMemcpyAsync, std::to_string(bytes) + " bytes", dst, src, bytes, kind, c.stream);
  // The runtime documents staging before return for pageable sources only
  // for the synchronous form: wait, so that the source may be reused. Copies
  // in the step loop go through the BatchUploader, not here.
  c.synchronize();
}

void synchronize(int device) { context(device).synchronize(); }

void fill(float* data, int device, float value, size_t count) {
  DeviceContext& c = context(device);
  fill(data, value, static_cast<int64_t>(count), c.stream);
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
