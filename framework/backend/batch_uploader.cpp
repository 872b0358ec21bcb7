#include "backend/batch_uploader.h"

#include "core/error.h"

namespace convoy {

#ifdef CONVOY_WITH_CUDA
namespace cuda {
std::unique_ptr<BatchUploader> make_cuda_batch_uploader(int device);  // backend/cuda/cuda_batch_uploader.cpp
}
#endif

const Tensor& BatchUploader::upload_pixels(const PixelBatch&) {
  CONVOY_THROW("8-bit batches need a device that normalises them (normalises_pixels() is false here)");
}

namespace {
class HostBatchUploader final : public BatchUploader {
 public:
  const Tensor& upload(const Tensor& host) override { return host; }
};
}  // namespace

std::unique_ptr<BatchUploader> make_batch_uploader(Device device) {
  if (device.is_cpu()) return std::make_unique<HostBatchUploader>();
#ifdef CONVOY_WITH_CUDA
  return cuda::make_cuda_batch_uploader(device.index);
#else
  CONVOY_USER_ERROR("input batches on ", to_string(device), ": this build of convoy has no CUDA backend");
#endif
}

}  // namespace convoy
