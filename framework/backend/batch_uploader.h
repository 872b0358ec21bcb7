// Moves each input batch from the loader's host memory to the device the
// model computes on. On a GPU the copy of batch n+1 overlaps the compute of
// batch n: the batch is copied on a copy stream of its own into one of two
// device buffers (the other may still be read by the last batch's backward),
// and the compute stream waits for the copy on the device, not the host.
// Batches in pinned memory (pinned_memory(), which the loader can fill) are
// copied from where they lie; others are first staged in pinned buffers.
// On the CPU a float batch is used where it lies.
//
// A GPU also takes 8-bit batches (core/pixel_batch.h): it copies the crops,
// a quarter of the bytes of floats, and normalises them itself, giving the
// same bits the host's transforms give.
#pragma once

#include <memory>

#include "core/pixel_batch.h"
#include "tensor/allocator.h"
#include "tensor/tensor.h"

namespace convoy {

class BatchUploader {
 public:
  virtual ~BatchUploader() = default;
  // The batch on the device. `host` (plain, on the host) may be reused as
  // soon as this returns. The device batch stays valid until the call after
  // next, for work queued on the compute stream before the next call (the
  // call after next refills it once that work is done).
  virtual const Tensor& upload(const Tensor& host) = 0;

  // Whether upload_pixels() works here (GPUs: yes; the CPU takes floats).
  virtual bool normalises_pixels() const { return false; }
  // The batch's samples normalised on the device, (count, channels, height,
  // width); the same validity and reuse as upload().
  virtual const Tensor& upload_pixels(const PixelBatch& batch);
  // Host memory this device copies from directly (pinned), for the loader's
  // batch buffers; null where there is none. It outlives every uploader.
  virtual Allocator* pinned_memory() { return nullptr; }
};

std::unique_ptr<BatchUploader> make_batch_uploader(Device device);

}  // namespace convoy
