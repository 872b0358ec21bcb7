// One object per CUDA device, made on first use and kept for the process
// (the allocators, the stream contexts, the backends). Each registry is made
// with `new` and never destroyed: tensors held by a backend free their blocks
// into the allocator, so no registry may go before another at exit (static
// destruction runs in an order the first uses decide), and the driver
// reclaims device memory when the process ends.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "core/error.h"

namespace convoy::cuda {

template <typename T>
class PerDevice {
 public:
  // The object of `device`; `make()` builds it the first time.
  template <typename Make>
  T& get(int device, Make make) {
    std::lock_guard<std::mutex> lock(mutex_);
    CONVOY_CHECK(device >= 0 && device < 1024, "CUDA device ", device);
    if (objects_.size() <= static_cast<size_t>(device)) objects_.resize(static_cast<size_t>(device) + 1);
    std::unique_ptr<T>& slot = objects_[static_cast<size_t>(device)];
    if (!slot) slot = make();
    return *slot;
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<T>> objects_;
};

}  // namespace convoy::cuda
