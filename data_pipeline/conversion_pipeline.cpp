#include "data_pipeline/conversion_pipeline.h"

#include "core/error.h"
#include "data_pipeline/image_codec.h"
#include "data_pipeline/image_resize.h"

namespace convoy {

ConversionPipeline::ConversionPipeline(const ImageListing& listing, const ImagesToHdf5Options& options, int threads,
                                       int64_t first)
    : listing_(listing),
      options_(options),
      window_(static_cast<int64_t>(threads) * 4),
      slots_(static_cast<size_t>(window_)),
      next_(first),
      consumed_(first) {
  for (int t = 0; t < threads; ++t) workers_.emplace_back([this] { run_worker(); });
}

ConversionSlot& ConversionPipeline::wait(int64_t index) {
  std::unique_lock<std::mutex> lock(mutex_);
  ConversionSlot& slot = slots_[static_cast<size_t>(index % window_)];
  ready_.wait(lock, [&] { return slot.state != ConversionSlot::State::kEmpty || fatal_; });
  if (fatal_) std::rethrow_exception(fatal_);
  return slot;
}

void ConversionPipeline::release(int64_t index) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    slots_[static_cast<size_t>(index % window_)].state = ConversionSlot::State::kEmpty;
    consumed_ = index + 1;
  }
  space_.notify_all();
}

void ConversionPipeline::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  space_.notify_all();
  for (auto& w : workers_)
    if (w.joinable()) w.join();
}

void ConversionPipeline::run_worker() {
  try {
    JpegCodec codec;
    codec.set_max_pixels(options_.max_pixels);
    Image decoded, stored;
    std::vector<uint8_t> bytes;
    const int64_t n = static_cast<int64_t>(listing_.entries.size());
    for (;;) {
      const int64_t index = next_.fetch_add(1);
      if (index >= n) return;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        space_.wait(lock, [&] { return stopping_ || index < consumed_ + window_; });
        if (stopping_) return;
      }
      ConversionSlot& slot = slots_[static_cast<size_t>(index % window_)];
      convert(index, codec, decoded, stored, bytes, slot);
      ready_.notify_all();
    }
  } catch (...) {  // an internal failure (not a bad image): hand it to the converting thread
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!fatal_) fatal_ = std::current_exception();
    }
    ready_.notify_all();
  }
}

void ConversionPipeline::convert(int64_t index, JpegCodec& codec, Image& decoded, Image& stored,
                                 std::vector<uint8_t>& bytes, ConversionSlot& slot) {
  const std::string& path = listing_.entries[static_cast<size_t>(index)].path;
  bool ok = true;
  try {
    read_file(path, bytes);
    codec.decode(bytes.data(), bytes.size(), path, decoded);
  } catch (const Error& e) {
    ok = false;
    slot.error = e.what();
  }
  slot.jpeg.clear();
  slot.moments = RgbMoments();
  if (ok) {
    resize_shorter_side_and_center_crop(decoded, options_.size, options_.size, options_.size, slot.image);
    const Image* pixels = &slot.image;
    if (options_.storage == ImageStorage::kJpeg) {
      codec.encode_jpeg(slot.image, options_.jpeg_quality, slot.jpeg, options_.jpeg_full_chroma);
      // Statistics from the pixels a reader will decode, not the pre-encoding ones.
      codec.decode(slot.jpeg.data(), slot.jpeg.size(), path, stored);
      pixels = &stored;
    }
    const uint8_t* p = pixels->pixels.data();
    for (int64_t i = 0; i < pixels->height * pixels->width; ++i, p += 3)
      slot.moments.add(p[0] / 255.0, p[1] / 255.0, p[2] / 255.0);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  slot.state = ok ? ConversionSlot::State::kReady : ConversionSlot::State::kFailed;
}

}  // namespace convoy
