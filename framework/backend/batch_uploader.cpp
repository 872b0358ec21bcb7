#include "backend/batch_uploader.h"

#include "backend/device_platform.h"
#include "core/error.h"

namespace convoy {

const Tensor& BatchUploader::upload_pixels(const PixelBatch&) {
  CONVOY_THROW("8-bit batches need a device that normalises them (normalises_pixels() is false here)");
}

std::unique_ptr<BatchUploader> make_batch_uploader(Device device) {
  return device_platform(device.kind, "input batches on " + to_string(device)).make_batch_uploader(device.index);
}

}  // namespace convoy
