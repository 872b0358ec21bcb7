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

}  // namespace convoy
