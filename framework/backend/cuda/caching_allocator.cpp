#include "backend/cuda/caching_allocator.h"

#include <cuda_runtime_api.h>

#include <memory>
#include <vector>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_device.h"
#include "backend/cuda/per_device.h"
#include "core/error.h"

namespace convoy::cuda {

namespace {
constexpr size_t kSmallLimit = size_t{1} << 20, kSmallRound = 512, kLargeRound = size_t{2} << 20;

// Makes `device` current on the calling thread and leaves it so, as
// cuda::context() does. Switching back would be wrong: on a thread that had
// set no device yet, "back" is device 0, and cudaSetDevice(0) creates a
// context there, so every rank of a node would hold one on GPU 0.
void make_current(int device) {
  int current = -1;
  CONVOY_CUDA(cudaGetDevice, "allocator", &current);
  if (current != device) CONVOY_CUDA(cudaSetDevice, "allocator", device);
}
}  // namespace

CachingAllocator::CachingAllocator(int device) : device_(device) {}

CachingAllocator::~CachingAllocator() {
  // At process exit the driver may already be gone; the blocks go with it.
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [size, block] : cached_) cudaFree(block);
  cached_.clear();
}

size_t CachingAllocator::rounded_size(size_t bytes) {
  if (bytes == 0) bytes = 1;
  const size_t unit = bytes < kSmallLimit ? kSmallRound : kLargeRound;
  return (bytes + unit - 1) / unit * unit;
}

void* CachingAllocator::allocate(size_t bytes) {
  const size_t size = rounded_size(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  // The smallest cached block that fits, if it wastes at most a quarter.
  auto it = cached_.lower_bound(size);
  void* block = nullptr;
  size_t block_size = size;
  if (it != cached_.end() && it->first <= size + size / 4) {
    block = it->second;
    block_size = it->first;
    cached_.erase(it);
    stats_.cached_bytes -= block_size;
  } else {
    block = device_malloc(size);
  }
  in_use_.emplace(block, block_size);
  stats_.in_use_bytes += block_size;
  return block;
}

void* CachingAllocator::device_malloc(size_t size) {
  make_current(device_);
  void* block = nullptr;
  cudaError_t status = cudaMalloc(&block, size);
  if (status == cudaErrorMemoryAllocation && !cached_.empty()) {
    cudaGetLastError();
    release_cache_locked();
    status = cudaMalloc(&block, size);
  }
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    size_t free_bytes = 0, total_bytes = 0;
    cudaMemGetInfo(&free_bytes, &total_bytes);
    CONVOY_USER_ERROR("out of GPU memory on device ", device_, ": ", size, " bytes asked, ", free_bytes, " of ",
                      total_bytes, " free, ", stats_.in_use_bytes, " held by tensors (try a smaller --batch-size)");
  }
  check(status, "cudaMalloc", std::to_string(size) + " bytes on device " + std::to_string(device_));
  ++stats_.device_mallocs;
  return block;
}

void CachingAllocator::deallocate(void* block) {
  if (!block) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = in_use_.find(block);
  CONVOY_CHECK(it != in_use_.end(), "freeing a block this allocator did not hand out");
  stats_.in_use_bytes -= it->second;
  stats_.cached_bytes += it->second;
  cached_.emplace(it->second, block);
  in_use_.erase(it);
}

void CachingAllocator::release_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  release_cache_locked();
}

void CachingAllocator::release_cache_locked() {
  make_current(device_);
  // The blocks may still be read by queued work: let the device finish it.
  CONVOY_CUDA(cudaDeviceSynchronize, "releasing the allocator's cache");
  // Every block leaves the cache, even after a failed cudaFree (a block kept
  // would be freed twice); the first failure is reported after.
  cudaError_t first_failure = cudaSuccess;
  for (auto& [size, block] : cached_) {
    const cudaError_t status = cudaFree(block);
    if (first_failure == cudaSuccess) first_failure = status;
  }
  cached_.clear();
  stats_.cached_bytes = 0;
  check(first_failure, "cudaFree", "releasing the allocator's cache");
}

CachingAllocator::Stats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

CachingAllocator& caching_allocator(int device) {
  static auto& allocators = *new PerDevice<CachingAllocator>;  // never destroyed: see per_device.h
  return allocators.get(device, [device] {
    require_device(device, "a tensor on cuda:" + std::to_string(device));
    return std::make_unique<CachingAllocator>(device);
  });
}

}  // namespace convoy::cuda
