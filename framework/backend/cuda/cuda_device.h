// Which CUDA devices this process sees, and why none when there are none.
#pragma once

#include <cstddef>
#include <string>

namespace convoy::cuda {

// The number of CUDA devices; 0 when there are none, with `why` (if given)
// set to the runtime's reason, e.g. "cudaGetDeviceCount: CUDA driver version
// is insufficient for CUDA runtime version (cudaErrorInsufficientDriver,
// error 35)" on a machine without a GPU driver; `brief` (if given) to the
// runtime's words alone ("CUDA driver version is insufficient for CUDA
// runtime version").
int device_count(std::string* why = nullptr, std::string* brief = nullptr);

// "NVIDIA H200, sm_90, 139.8 GiB"
std::string describe_device(int index);
// The device's PCI bus id, "0000:1b:00.0": the same GPU has the same one in
// every process of a node, whatever CUDA_VISIBLE_DEVICES numbers it.
std::string pci_bus_id(int index);

// Copies `bytes` between host and device memory in any direction (device
// -1 is the host), on the device's compute stream after the work queued
// there; finished when it returns.
void copy(void* dst, int dst_device, const void* src, int src_device, size_t bytes);
// Waits for the device's compute stream.
void synchronize(int device);
// Sets `count` floats of device memory to `value`, on the compute stream.
void fill(float* data, int device, float value, size_t count);

// Throws a user error naming `option` (e.g. "--device cuda:1") when this
// process sees no device `index`.
void require_device(int index, const std::string& option);

}  // namespace convoy::cuda
