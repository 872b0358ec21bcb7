#include "launch/trainer/batch_feed.h"

namespace convoy {

std::unique_ptr<Loader> make_feeding_loader(SampleSource& source, int64_t batch_size, int workers, int prefetch,
                                            BatchUploader& uploader) {
  if (uploader.normalises_pixels() && source.pixel_shape().rank() == 3)
    return std::make_unique<Loader>(source, batch_size, workers, prefetch, BatchFormat::kPixels,
                                    uploader.pinned_memory());
  return std::make_unique<Loader>(source, batch_size, workers, prefetch, BatchFormat::kFloat,
                                  uploader.pinned_memory());
}

Tensor upload_batch(BatchUploader& uploader, const LoadedBatch& batch, int64_t count) {
  if (!batch.images.defined()) return uploader.upload_pixels(batch.pixels.first(count));  // BatchFormat::kPixels
  if (count == batch.images.dim(0)) return uploader.upload(batch.images);
  return uploader.upload(batch.images.slice_batch(0, count));
}

const char* feed_name(const Loader& loader) {
  return loader.format() == BatchFormat::kPixels ? "8-bit, normalised on the device" : "float";
}

}  // namespace convoy
