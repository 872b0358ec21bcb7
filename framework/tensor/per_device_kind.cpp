#include "tensor/per_device_kind.h"

#include "core/error.h"

namespace convoy {

void no_backend_for(DeviceKind kind, const std::string& what) {
  CONVOY_USER_ERROR(what, ": this build of convoy has no ", kind == DeviceKind::kCUDA ? "CUDA" : "CPU",
                    " backend (it was configured without CUDA)");
}

}  // namespace convoy
