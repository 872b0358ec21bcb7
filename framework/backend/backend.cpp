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

void check_class_labels(const Tensor& scores, std::span<const int32_t> labels, const char* what) {
  CONVOY_CHECK(scores.rank() == 2, what, " expects (B, classes) scores, got ", scores.shape().to_string());
  const int64_t batch = scores.dim(0), classes = scores.dim(1);
  CONVOY_CHECK(static_cast<int64_t>(labels.size()) == batch, what, ": ", labels.size(), " labels for a batch of ",
               batch);
  for (size_t b = 0; b < labels.size(); ++b)
    CONVOY_CHECK(labels[b] >= 0 && labels[b] < classes, what, ": label ", labels[b], " of batch row ", b,
                 " is outside [0, ", classes, ")");
}

const Tensor& as_plain(const Tensor& x, Tensor& scratch) {
  if (x.is_plain()) return x;
  backend_for(x.device()).to_plain(x, scratch);
  return scratch;
}

}  // namespace convoy
