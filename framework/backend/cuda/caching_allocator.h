// Device memory without a cudaMalloc per step, after PyTorch's caching
// allocator: a freed block is kept and handed to the next request it fits;
// cudaMalloc runs only when no cached block does (and, when it fails, once
// more after the cache is returned to the driver).
//
// Every kernel of a device runs on its one compute stream, so a block freed
// by the host may be handed out again at once: the stream runs the new user's
// work after the old one's. Code that uses a block on another stream (the
// NCCL or copy stream) must keep its tensor alive until that work is done.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_map>

#include "tensor/allocator.h"

namespace convoy::cuda {

class CachingAllocator final : public Allocator {
 public:
  explicit CachingAllocator(int device);
  ~CachingAllocator();
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  void* allocate(size_t bytes) override;
  void deallocate(void* block) override;
  // Returns every cached (unused) block to the driver.
  void release_cache();

  struct Stats {
    size_t in_use_bytes = 0;  // held by tensors, rounded sizes
    size_t cached_bytes = 0;  // freed, kept for reuse
    int64_t device_mallocs = 0;  // cudaMalloc calls so far
  };
  Stats stats() const;

  // Requests are rounded up: to 512 B below 1 MiB, to 2 MiB above, so that
  // blocks of nearby sizes serve each other.
  static size_t rounded_size(size_t bytes);

 private:
  void* device_malloc(size_t bytes);
  void release_cache_locked();

  int device_;
  mutable std::mutex mutex_;
  std::multimap<size_t, void*> cached_;  // size -> block
  std::unordered_map<void*, size_t> in_use_;
  Stats stats_;
};

// The allocator of `device`, made on first use, kept for the process.
CachingAllocator& caching_allocator(int device);

}  // namespace convoy::cuda
