#include "data_pipeline/jpeg_cache.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "formats/hdf5_file.h"

namespace convoy {

namespace {
constexpr int64_t kBlock = 256;  // images a read: short, so that readers of the file wait little for its lock
}  // namespace

JpegCache::JpegCache(std::shared_ptr<const Hdf5File> file, int64_t count, size_t capacity_bytes,
                     size_t max_element_bytes)
    : file_(std::move(file)),
      count_(count),
      capacity_(capacity_bytes),
      max_element_bytes_(max_element_bytes),
      bytes_(new uint8_t[std::max<size_t>(capacity_bytes, 1)]),
      offsets_(new int64_t[static_cast<size_t>(count) + 1]) {
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
  try {
    for (int64_t first = 0; first < count_ && !stop_.load(); first += kBlock) {
      const int64_t n = std::min(kBlock, count_ - first);
      bool full = false;
      file_->read_vlen_uint8_block(
          "/jpeg", first, n,
          [&](int64_t index, const uint8_t* bytes, size_t size) {
            if (full || static_cast<size_t>(used) + size > capacity_) {
              full = true;
              return;
            }
            if (size > 0) std::memcpy(bytes_.get() + used, bytes, size);
            used += static_cast<int64_t>(size);
            offsets_[index + 1] = used;
          },
          max_element_bytes_);
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
