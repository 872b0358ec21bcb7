// The GPU's BatchUploader (backend/batch_uploader.h): two slots, each with a
// pinned staging buffer and device buffers, used in turn.
#include <cuda_runtime_api.h>

#include <array>
#include <cstring>
#include <string>

#include "backend/batch_uploader.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/cuda_kernels.h"
#include "core/error.h"

namespace convoy::cuda {

namespace {

// Page-locked host memory, usable by every device (cudaHostAllocPortable).
class PinnedAllocator final : public Allocator {
 public:
  void* allocate(size_t bytes) override {
    void* block = nullptr;
    CONVOY_CUDA(cudaHostAlloc, "pinned host buffer of " + std::to_string(bytes) + " bytes", &block, bytes,
                cudaHostAllocPortable);
    return block;
  }
  void deallocate(void* block) override { cudaFreeHost(block); }
};

bool is_pinned(const void* host) {
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, host) != cudaSuccess) {
    cudaGetLastError();  // clear it: CUDA 11 and later answer "unregistered" for plain memory, older ones failed
    return false;
  }
  return attributes.type == cudaMemoryTypeHost;
}

size_t aligned(size_t bytes) { return (bytes + 255) / 256 * 256; }

// A region of host memory to copy to the device.
struct HostPart {
  const void* data;
  size_t bytes;
};

class CudaBatchUploader final : public BatchUploader {
 public:
  explicit CudaBatchUploader(int device) : device_(device) {
    context(device);  // makes the device current
    CONVOY_CUDA(cudaStreamCreateWithFlags, "copy stream", &copy_stream_, cudaStreamNonBlocking);
    CONVOY_CUDA(cudaEventCreateWithFlags, "batch buffer event", &fresh_, cudaEventDisableTiming);
    for (Slot& slot : slots_) {
      CONVOY_CUDA(cudaEventCreateWithFlags, "batch copy event", &slot.copied, cudaEventDisableTiming);
      CONVOY_CUDA(cudaEventCreateWithFlags, "batch use event", &slot.consumed, cudaEventDisableTiming);
    }
  }
  ~CudaBatchUploader() override {
    cudaStreamSynchronize(copy_stream_);
    for (Slot& slot : slots_) {
      cudaEventDestroy(slot.copied);
      cudaEventDestroy(slot.consumed);
      if (slot.staging) pinned_memory()->deallocate(slot.staging);
      if (slot.raw) allocator_for(Device::cuda(device_)).deallocate(slot.raw);
    }
    cudaEventDestroy(fresh_);
    cudaStreamDestroy(copy_stream_);
  }

  const Tensor& upload(const Tensor& host) override {
    CONVOY_CHECK(host.device().is_cpu(), "a batch to upload must lie on the host");
    Slot& slot = next_slot();
    const float* before = slot.device.device_data();
    slot.device.ensure_shape(host.shape(), Device::cuda(device_));
    copy_in(slot, {HostPart{host.data(), static_cast<size_t>(host.numel()) * sizeof(float)}},
            static_cast<uint8_t*>(static_cast<void*>(slot.device.device_data())), slot.device.device_data() != before);
    return slot.device;
  }

  bool normalises_pixels() const override { return true; }

  const Tensor& upload_pixels(const PixelBatch& batch) override {
    CONVOY_CHECK(batch.count > 0 && (batch.channels == 1 || batch.channels == 3) && batch.pixels && batch.transforms,
                 "an empty or malformed 8-bit batch (", batch.count, " samples of ", batch.channels, " channels)");
    Slot& slot = next_slot();
    const size_t pixel_bytes = static_cast<size_t>(batch.count * batch.sample_bytes());
    const size_t map_bytes = static_cast<size_t>(batch.count) * sizeof(PixelTransform);
    bool fresh = false;
    if (aligned(pixel_bytes) + map_bytes > slot.raw_bytes) {
      // The caching allocator orders reuse on the compute stream, which is
      // where the last reader of the old block (the normalising kernel) ran.
      Allocator& device_memory = allocator_for(Device::cuda(device_));
      if (slot.raw) device_memory.deallocate(slot.raw);
      slot.raw = nullptr;
      slot.raw_bytes = 0;  // until the allocation below succeeds
      slot.raw = static_cast<uint8_t*>(device_memory.allocate(aligned(pixel_bytes) + map_bytes));
      slot.raw_bytes = aligned(pixel_bytes) + map_bytes;
      fresh = true;
    }
    copy_in(slot, {HostPart{batch.pixels, pixel_bytes}, HostPart{batch.transforms, map_bytes}}, slot.raw, fresh);
    slot.device.ensure_shape(Shape{batch.count, batch.channels, batch.height, batch.width}, Device::cuda(device_));
    normalise_pixels(slot.raw, reinterpret_cast<const PixelTransform*>(slot.raw + aligned(pixel_bytes)),
                     slot.device.device_data(), batch.count, batch.channels, batch.height, batch.width,
                     context(device_).stream);
    return slot.device;
  }

  Allocator* pinned_memory() override {
    static auto* pinned = new PinnedAllocator;  // never destroyed: outlives every loader, uploader and tensor
    return pinned;
  }

 private:
  struct Slot {
    void* staging = nullptr;  // pinned, for batches in pageable memory
    size_t staging_bytes = 0;
    uint8_t* raw = nullptr;   // 8-bit batches: the bytes, then the maps, on the device
    size_t raw_bytes = 0;
    Tensor device;            // the batch the compute stream reads
    cudaEvent_t copied = nullptr, consumed = nullptr;
  };

  // The slot of this batch, once its last copy is done.
  Slot& next_slot() {
    // Everything queued on the compute stream so far (the last batch's
    // forward and backward) is what reads the last slot's device buffers.
    if (uploads_ > 0)
      CONVOY_CUDA(cudaEventRecord, "batch use", slots_[(uploads_ - 1) % slots_.size()].consumed,
                  context(device_).stream);
    Slot& slot = slots_[uploads_ % slots_.size()];
    // The slot's staging buffer may still feed its previous copy: wait for it
    // (it was queued a batch ago, so it is normally done).
    if (uploads_ >= slots_.size()) CONVOY_CUDA(cudaEventSynchronize, "batch copy", slot.copied);
    ++uploads_;
    return slot;
  }

  // Copies the parts, one after another (each 256-byte aligned), to `device`
  // on the copy stream, and makes the compute stream wait for them. Parts in
  // pinned memory are copied from where they lie, and then this waits for the
  // copy, since the caller may reuse them once it returns; others are staged.
  void copy_in(Slot& slot, std::initializer_list<HostPart> parts, uint8_t* device, bool device_is_fresh) {
    DeviceContext& c = context(device_);
    if (device_is_fresh) {
      // A new block from the caching allocator, which orders reuse on the
      // compute stream only: the copy stream waits for what is queued there.
      CONVOY_CUDA(cudaEventRecord, "batch buffer", fresh_, c.stream);
      CONVOY_CUDA(cudaStreamWaitEvent, "batch buffer", copy_stream_, fresh_, 0);
    }
    // The device buffers may still be read by the compute of two batches ago.
    if (uploads_ > slots_.size()) CONVOY_CUDA(cudaStreamWaitEvent, "batch use", copy_stream_, slot.consumed, 0);
    bool direct = true;
    size_t total = 0;
    for (const HostPart& part : parts) {
      direct = direct && is_pinned(part.data);
      total = aligned(total) + part.bytes;
    }
    if (!direct && total > slot.staging_bytes) {
      if (slot.staging) pinned_memory()->deallocate(slot.staging);
      slot.staging = nullptr;
      slot.staging_bytes = 0;  // until the allocation below succeeds
      slot.staging = pinned_memory()->allocate(total);
      slot.staging_bytes = total;
    }
    size_t offset = 0;
    for (const HostPart& part : parts) {
      offset = aligned(offset);
      const void* source = part.data;
      if (!direct) {
        std::memcpy(static_cast<uint8_t*>(slot.staging) + offset, part.data, part.bytes);
        source = static_cast<uint8_t*>(slot.staging) + offset;
      }
      CONVOY_CUDA(cudaMemcpyAsync, "batch upload", device + offset, source, part.bytes, cudaMemcpyHostToDevice,
                  copy_stream_);
      offset += part.bytes;
    }
    CONVOY_CUDA(cudaEventRecord, "batch copy", slot.copied, copy_stream_);
    CONVOY_CUDA(cudaStreamWaitEvent, "batch copy", c.stream, slot.copied, 0);
    if (direct) CONVOY_CUDA(cudaEventSynchronize, "batch copy", slot.copied);
  }

  int device_;
  cudaStream_t copy_stream_ = nullptr;
  cudaEvent_t fresh_ = nullptr;  // the compute stream's work before a buffer was (re)allocated
  std::array<Slot, 2> slots_;
  size_t uploads_ = 0;  // batch n uses slot n mod 2
};

}  // namespace

std::unique_ptr<BatchUploader> make_cuda_batch_uploader(int device) {
  return std::make_unique<CudaBatchUploader>(device);
}

}  // namespace convoy::cuda
