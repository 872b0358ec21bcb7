#include "data_pipeline/jpeg_cache.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "data_pipeline/encoded_images.h"

namespace convoy {

namespace {
constexpr int64_t kBlock = 256;  // images a read: short, so that readers of a variable-length /jpeg wait little for libhdf5's lock
}  // namespace

JpegCache::JpegCache(std::shared_ptr<const EncodedImages> images, size_t capacity_bytes)
    : images_(std::move(images)),
      count_(images_->size()),
      capacity_(capacity_bytes),
      bytes_(new uint8_t[std::max<size_t>(capacity_bytes, 1)]),
      offsets_(new int64_t[static_cast<size_t>(count_) + 1]) {
  offsets_[0] = 0;
  thread_ = std::thread([this] { fill(); });
}

JpegCache::~JpegCache() {
  stop_.store(true);
  thread_.join();
}

std::span<const uint8_t> JpegCache::find(int64_t i) const {
  if (i >= filled_.load(std::memory_order_acquire)) return {};
  const int64_t begin = offsets_[i], end = offsets_[i + 1];
  return {bytes_.get() + begin, static_cast<size_t>(end - begin)};
}

void JpegCache::wait() const {
  std::unique_lock<std::mutex> lock(mutex_);
  ended_.wait(lock, [&] { return ended_flag_; });
}

void JpegCache::fill() {
  int64_t used = 0;
  std::vector<uint8_t> scratch;  // one block's bytes, reused
  try {
    for (int64_t first = 0; first < count_ && !stop_.load(); first += kBlock) {
      const int64_t n = std::min(kBlock, count_ - first);
      bool full = false;
      images_->read_block(
          first, n, scratch,
          [&](int64_t index, const uint8_t* bytes, size_t size) {
            if (full || static_cast<size_t>(used) + size > capacity_) {
              full = true;
              return;
            }
            if (size > 0) std::memcpy(bytes_.get() + used, bytes, size);
            used += static_cast<int64_t>(size);
            offsets_[index + 1] = used;
          });
      if (full) break;
      filled_.store(first + n, std::memory_order_release);
    }
  } catch (...) {
    // A damaged element (or no memory): the images before its block stay cached, reads of the rest go to
    // the file, which reports what is wrong with it.
  }
  std::lock_guard<std::mutex> lock(mutex_);
  ended_flag_ = true;
  ended_.notify_all();
}

}  // namespace convoy
