// How the programs feed a model: a loader whose batches suit the uploader of
// the model's device. A GPU gets 8-bit crops and normalises them itself (when
// the source has a pixel form: not synthetic images or ten crops; floats
// otherwise), in pinned memory that it copies from where it lies; the CPU
// gets float batches in plain memory.
#pragma once

#include <cstdint>
#include <memory>

#include "backend/batch_uploader.h"
#include "data_pipeline/loader.h"

namespace convoy {

std::unique_ptr<Loader> make_feeding_loader(SampleSource& source, int64_t batch_size, int workers, int prefetch,
                                            BatchUploader& uploader);

// The first `count` samples of `batch` on the uploader's device, (count, C, H, W):
// a handle, valid as BatchUploader::upload()'s result is.
Tensor upload_batch(BatchUploader& uploader, const LoadedBatch& batch, int64_t count);

// "8-bit, normalised on the device" or "float".
const char* feed_name(const Loader& loader);

}  // namespace convoy
