#include "backend/backend.h"

#include "core/error.h"

namespace convoy {

Backend& cpu_backend();  // backend/cpu/cpu_backend.cpp
#ifdef CONVOY_WITH_CUDA
Backend& cuda_backend(int device);  // backend/cuda/cuda_backend.cpp
#endif

Backend& backend_for(Device device) {
  if (device.is_cpu()) return cpu_backend();
#ifdef CONVOY_WITH_CUDA
  return cuda_backend(device.index);
#else
  CONVOY_USER_ERROR("no backend serves tensors on ", to_string(device),
                    ": this build of convoy has no CUDA backend (it was configured without CUDA)");
#endif
}

const Tensor& as_plain(const Tensor& x, Tensor& scratch) {
  if (x.is_plain()) return x;
  backend_for(x.device()).to_plain(x, scratch);
  return scratch;
}

}  // namespace convoy
