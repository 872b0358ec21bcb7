// Which CUDA devices this process sees, and why none when there are none.
#pragma once

#include <string>

namespace convoy::cuda {

// The number of CUDA devices; 0 when there are none, with `why` (if given)
// set to the runtime's reason, e.g. "cudaGetDeviceCount: CUDA driver version
// is insufficient for CUDA runtime version (cudaErrorInsufficientDriver,
// error 35)" on a machine without a GPU driver.
int device_count(std::string* why = nullptr);

// "NVIDIA H200, sm_90, 139.8 GiB"
std::string describe_device(int index);

// Throws a user error naming `option` (e.g. "--device cuda:1") when this
// process sees no device `index`.
void require_device(int index, const std::string& option);

}  // namespace convoy::cuda
