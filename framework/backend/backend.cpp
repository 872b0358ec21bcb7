#include "backend/backend.h"

#include "core/error.h"

namespace convoy {

Backend& cpu_backend();  // backend/cpu/cpu_backend.cpp

Backend& backend_for(Device device) {
  if (device.is_cpu()) return cpu_backend();
  CONVOY_USER_ERROR("no backend serves tensors on ", to_string(device),
                    ": the CUDA backend's layers are not built yet (this build has its allocator and kernels only)");
}

const Tensor& as_plain(const Tensor& x, Tensor& scratch) {
  if (x.is_plain()) return x;
  backend_for(x.device()).to_plain(x, scratch);
  return scratch;
}

}  // namespace convoy
