// Moves each input batch from the loader's host memory to the device the
// model computes on. On a GPU the copy of batch n+1 overlaps the compute of
// batch n: the batch is staged in pinned host memory, copied on a copy stream
// of its own into one of two device buffers (the other may still be read by
// the last batch's backward), and the compute stream waits for the copy on
// the device, not the host. On the CPU the batch is used where it lies.
#pragma once

#include <memory>

#include "tensor/tensor.h"

namespace convoy {

class BatchUploader {
 public:
  virtual ~BatchUploader() = default;
  // The batch on the device, valid until the call after next. `host` (plain,
  // on the host) may be reused as soon as this returns.
  virtual const Tensor& upload(const Tensor& host) = 0;
};

std::unique_ptr<BatchUploader> make_batch_uploader(Device device);

}  // namespace convoy
