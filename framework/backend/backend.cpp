#include "backend/backend.h"

#include "backend/device_platform.h"
#include "core/error.h"

namespace convoy {

Backend& backend_for(Device device) {
  // Every op asks: the message is made only when there is no platform.
  if (DevicePlatform* platform = find_device_platform(device.kind)) return platform->backend(device.index);
  return device_platform(device.kind, "no backend serves tensors on " + to_string(device)).backend(device.index);
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
