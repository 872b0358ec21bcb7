#include "backend/backend.h"

#include "core/error.h"

namespace convoy {

Backend& cpu_backend();  // backend/cpu/cpu_backend.cpp

Backend& backend_for(Device device) {
  switch (device) {
    case Device::kCPU: return cpu_backend();
    case Device::kCUDA: break;
  }
  CONVOY_USER_ERROR("this build of convoy has no CUDA backend (it was configured without CUDA)");
}

const Tensor& as_plain(const Tensor& x, Tensor& scratch) {
  if (x.is_plain()) return x;
  backend_for(x.device()).to_plain(x, scratch);
  return scratch;
}

}  // namespace convoy
