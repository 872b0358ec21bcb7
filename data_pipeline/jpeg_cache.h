// The encoded images of a JPEG set held in memory, filled by a thread of its
// own in index order, a block at a time, from the open file: opening a large
// set costs nothing, and until an image is in, its reads go to the file.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>

namespace convoy {

class EncodedImages;

class JpegCache {
 public:
  // Caches every image of `images`; capacity_bytes bounds their total (the
  // file's size does); a damaged image or a full cache ends the filling there
  // (their reads then go to the file, which reports the problem).
  JpegCache(std::shared_ptr<const EncodedImages> images, size_t capacity_bytes);
  ~JpegCache();
  JpegCache(const JpegCache&) = delete;
  JpegCache& operator=(const JpegCache&) = delete;

  // Image i's bytes when in memory, else an empty span. Thread-safe.
  std::span<const uint8_t> find(int64_t i) const;
  int64_t filled() const { return filled_.load(std::memory_order_acquire); }
  // Blocks until the filling ended (every image in, or stopped at a bad one).
  void wait() const;

 private:
  void fill();

  const std::shared_ptr<const EncodedImages> images_;
  const int64_t count_;
  const size_t capacity_;
  std::unique_ptr<uint8_t[]> bytes_;    // uninitialised: pages are touched as they fill
  std::unique_ptr<int64_t[]> offsets_;  // image i is [offsets_[i], offsets_[i + 1])
  std::atomic<int64_t> filled_{0};      // images [0, filled_) are in; published after their bytes
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  mutable std::condition_variable ended_;
  bool ended_flag_ = false;
  std::thread thread_;
};

}  // namespace convoy
