// The decode workers of images_to_hdf5: they read, decode, resize and (for
// JPEG storage) re-encode the listed images into a ring of slots, which the
// converting thread takes in listing order, so that the file's order and its
// statistics are the listing's whatever the threads' timing.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "data_pipeline/image.h"
#include "data_pipeline/images_to_hdf5.h"
#include "data_pipeline/pca.h"

namespace convoy {

struct ConversionSlot {
  enum class State { kEmpty, kReady, kFailed };
  State state = State::kEmpty;
  Image image;                // the stored size x size image (raw)
  std::vector<uint8_t> jpeg;  // its re-encoding (jpeg storage)
  RgbMoments moments;         // of the pixels a reader will decode
  std::string error;          // why the image was skipped

  // The bytes the file stores for this image.
  const std::vector<uint8_t>& stored() const { return jpeg.empty() ? image.pixels : jpeg; }
};

class ConversionPipeline {
 public:
  // Converts listing.entries[first ...] with `threads` workers.
  ConversionPipeline(const ImageListing& listing, const ImagesToHdf5Options& options, int threads, int64_t first);
  ~ConversionPipeline() { stop(); }
  ConversionPipeline(const ConversionPipeline&) = delete;
  ConversionPipeline& operator=(const ConversionPipeline&) = delete;

  // Waits for image `index` (in order); the caller must release() it after use.
  ConversionSlot& wait(int64_t index);
  void release(int64_t index);
  void stop();

 private:
  void run_worker();
  void convert(int64_t index, JpegCodec& codec, Image& decoded, Image& stored, std::vector<uint8_t>& bytes,
               ConversionSlot& slot);

  const ImageListing& listing_;
  const ImagesToHdf5Options& options_;
  const int64_t window_;
  std::vector<ConversionSlot> slots_;
  std::vector<std::thread> workers_;
  std::atomic<int64_t> next_;
  std::mutex mutex_;
  std::condition_variable ready_, space_;
  int64_t consumed_;
  bool stopping_ = false;
  std::exception_ptr fatal_;
};

}  // namespace convoy
