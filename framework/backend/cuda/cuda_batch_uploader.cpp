// The GPU's BatchUploader (backend/batch_uploader.h): two slots, each a pinned
// host buffer and a device buffer, used in turn.
#include <cuda_runtime_api.h>

#include <array>
#include <cstring>

#include "backend/batch_uploader.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"
#include "core/error.h"

namespace convoy::cuda {

namespace {

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
      if (slot.pinned) cudaFreeHost(slot.pinned);
    }
    cudaEventDestroy(fresh_);
    cudaStreamDestroy(copy_stream_);
  }

  const Tensor& upload(const Tensor& host) override {
    CONVOY_CHECK(host.device().is_cpu(), "a batch to upload must lie on the host");
    DeviceContext& c = context(device_);
    // Everything queued on the compute stream so far (the last batch's
    // forward and backward) is what reads the last slot's device buffer.
    if (uploads_ > 0)
      CONVOY_CUDA(cudaEventRecord, "batch use", slots_[(uploads_ - 1) % slots_.size()].consumed, c.stream);
    Slot& slot = slots_[uploads_ % slots_.size()];
    const size_t bytes = static_cast<size_t>(host.numel()) * sizeof(float);
    // The slot's pinned buffer may still feed its previous copy: wait for it
    // (it was queued a batch ago, so it is normally done).
    if (uploads_ >= slots_.size()) CONVOY_CUDA(cudaEventSynchronize, "batch copy", slot.copied);
    if (bytes > slot.pinned_bytes) {
      if (slot.pinned) CONVOY_CUDA(cudaFreeHost, "pinned batch buffer", slot.pinned);
      slot.pinned = nullptr;
      CONVOY_CUDA(cudaHostAlloc, "pinned batch buffer of " + std::to_string(bytes) + " bytes", &slot.pinned, bytes,
                  cudaHostAllocDefault);
      slot.pinned_bytes = bytes;
    }
    std::memcpy(slot.pinned, host.data(), bytes);
    const float* before = slot.device.device_data();
    slot.device.ensure_shape(host.shape(), Device::cuda(device_));
    if (slot.device.device_data() != before) {
      // A new block from the caching allocator, which orders reuse on the
      // compute stream only: the copy stream waits for what is queued there.
      CONVOY_CUDA(cudaEventRecord, "batch buffer", fresh_, c.stream);
      CONVOY_CUDA(cudaStreamWaitEvent, "batch buffer", copy_stream_, fresh_, 0);
    }
    // The device buffer may still be read by the compute of two batches ago.
    if (uploads_ >= slots_.size()) CONVOY_CUDA(cudaStreamWaitEvent, "batch use", copy_stream_, slot.consumed, 0);
    CONVOY_CUDA(cudaMemcpyAsync, "batch upload", slot.device.device_data(), slot.pinned, bytes,
                cudaMemcpyHostToDevice, copy_stream_);
    CONVOY_CUDA(cudaEventRecord, "batch copy", slot.copied, copy_stream_);
    CONVOY_CUDA(cudaStreamWaitEvent, "batch copy", c.stream, slot.copied, 0);
    ++uploads_;
    return slot.device;
  }

 private:
  struct Slot {
    void* pinned = nullptr;
    size_t pinned_bytes = 0;
    Tensor device;
    cudaEvent_t copied = nullptr, consumed = nullptr;
  };
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
