// Loader: worker threads turn an epoch's sample order into batches, delivered
// strictly in order into a ring of reused buffers (`prefetch` batches ahead).
// Each sample lands at a fixed place in its batch, so the batches are byte for
// byte the same with 0, 1 or 8 workers. A failure to load a sample reaches the
// caller of next() with the sample's name (a user error where the data is at
// fault, an internal one otherwise), and so does every later next() of that
// epoch. Destroying the loader mid-epoch stops and joins the workers (nothing
// hangs), and so does a constructor that fails to start them all.
//
// Batches come as floats ready for the network, or (BatchFormat::kPixels, for
// a GPU that normalises them: core/pixel_batch.h) as the samples' 8-bit crops
// and their maps, a quarter of the bytes. Either kind of batch buffer can come
// from a given allocator (pinned host memory, which a GPU copies from where
// it lies).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/pixel_batch.h"
#include "data_pipeline/sample_source.h"
#include "tensor/allocator.h"
#include "tensor/tensor.h"

namespace convoy {

enum class BatchFormat { kFloat, kPixels };

struct LoadedBatch {
  int64_t index = 0;              // batch number within the epoch
  Tensor images;                  // kFloat: (B, C, H, W), plain
  PixelBatch pixels;              // kPixels: B samples' bytes and maps
  std::vector<int32_t> labels;    // B
  std::vector<int64_t> ids;       // B global sample indices
};

// Gives a block back to the allocator it came from (a unique_ptr's deleter).
struct ReturnToAllocator {
  Allocator* allocator = nullptr;
  void operator()(uint8_t* block) const { allocator->deallocate(block); }
};

class Loader {
 public:
  // workers = 0 loads in the calling thread; prefetch >= 1 batches in flight.
  // kPixels needs a source with a pixel form. The batch buffers come from
  // batch_memory (the host's allocator when null), which must outlive the loader.
  Loader(SampleSource& source, int64_t batch_size, int workers, int prefetch,
         BatchFormat format = BatchFormat::kFloat, Allocator* batch_memory = nullptr);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Delivers batches first_batch, first_batch + 1, ... of `order` (batch k =
  // order[k*B, (k+1)*B)); a last partial batch only when allow_partial.
  void start(std::vector<int64_t> order, int64_t epoch, int64_t first_batch, bool allow_partial);
  // The next batch, or nullptr after the last. Valid until the next call.
  const LoadedBatch* next();
  // Milliseconds the last next() waited for its batch.
  double last_wait_ms() const { return last_wait_ms_; }
  int workers() const { return static_cast<int>(threads_.size()); }
  BatchFormat format() const { return format_; }

 private:
  struct Slot {
    Tensor storage;  // kFloat: the full batch, allocated once
    std::unique_ptr<uint8_t, ReturnToAllocator> pixel_block;  // kPixels: the full batch's bytes, then its maps
    uint8_t* pixel_bytes = nullptr;
    PixelTransform* transforms = nullptr;
    LoadedBatch batch;
    int64_t assigned = -1;   // batch index being filled here
    int64_t remaining = 0;   // samples still to load
  };

  int64_t batch_length(int64_t k) const;
  void assign(int64_t k);  // under mutex_
  void load_sample(Slot& slot, int64_t k, int64_t position, int worker);
  void worker_loop(int worker);
  void stop_workers();

  SampleSource& source_;
  int64_t batch_size_, per_sample_;
  Shape sample_shape_, pixel_shape_;
  BatchFormat format_;
  Allocator* batch_memory_ = nullptr;
  std::vector<Slot> slots_;
  std::vector<std::thread> threads_;

  std::mutex mutex_;
  std::condition_variable work_cv_, ready_cv_;
  bool stop_ = false;
  std::vector<int64_t> order_;
  int64_t epoch_ = 0, end_batch_ = 0, current_ = -1, next_task_ = 0, end_task_ = 0;
  int64_t in_flight_ = 0;
  bool holding_ = false;  // the caller holds batch current_ (its slot is not refilled yet)
  std::exception_ptr failure_;
  double last_wait_ms_ = 0;
};

}  // namespace convoy
