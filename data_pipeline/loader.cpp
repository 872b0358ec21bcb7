#include "data_pipeline/loader.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/error.h"

namespace convoy {

Loader::Loader(SampleSource& source, int64_t batch_size, int workers, int prefetch, BatchFormat format,
               Allocator* batch_memory)
    : source_(source), batch_size_(batch_size), sample_shape_(source.sample_shape()), format_(format) {
  CONVOY_CHECK(batch_size > 0 && workers >= 0 && prefetch >= 1, "bad loader settings: batch ",
               batch_size, ", workers ", workers, ", prefetch ", prefetch);
  slots_.resize(static_cast<size_t>(workers == 0 ? 1 : prefetch));
  batch_memory_ = batch_memory ? batch_memory : &allocator_for(Device::kCPU);
  if (format_ == BatchFormat::kPixels) {
    pixel_shape_ = source_.pixel_shape();
    CONVOY_CHECK(pixel_shape_.rank() == 3, "pixel batches from a source without a pixel form");
    per_sample_ = pixel_shape_.numel();
    // The maps follow the bytes, 64-byte aligned.
    const size_t pixel_bytes = (static_cast<size_t>(batch_size * per_sample_) + 63) / 64 * 64;
    const size_t block_bytes = pixel_bytes + static_cast<size_t>(batch_size) * sizeof(PixelTransform);
    for (Slot& slot : slots_) {
      slot.pixel_block = std::unique_ptr<uint8_t, ReturnToAllocator>(
          static_cast<uint8_t*>(batch_memory_->allocate(block_bytes)), ReturnToAllocator{batch_memory_});
      slot.pixel_bytes = slot.pixel_block.get();
      std::memset(slot.pixel_bytes, 0, block_bytes);  // fault the memory in now, not during training
      slot.transforms = reinterpret_cast<PixelTransform*>(slot.pixel_bytes + pixel_bytes);
    }
  } else {
    per_sample_ = sample_shape_.numel();
    const Shape batch_shape{batch_size, sample_shape_[0], sample_shape_[1], sample_shape_[2]};
    for (Slot& slot : slots_) {
      slot.storage = Tensor::empty_host(batch_shape, *batch_memory_);
      slot.storage.fill(0.0f);  // fault the memory in now, not during training
    }
  }
  for (Slot& slot : slots_) {
    slot.batch.labels.reserve(static_cast<size_t>(batch_size));
    slot.batch.ids.reserve(static_cast<size_t>(batch_size));
  }
  source_.prepare_workers(std::max(1, workers));
  threads_.reserve(static_cast<size_t>(workers));
  try {
    for (int w = 0; w < workers; ++w) threads_.emplace_back([this, w] { worker_loop(w); });
  } catch (...) {  // e.g. the process's thread limit: stop the threads already started, then report
    stop_workers();
    throw;
  }
}

Loader::~Loader() { stop_workers(); }

void Loader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

int64_t Loader::batch_length(int64_t k) const {
  return std::min(batch_size_, static_cast<int64_t>(order_.size()) - k * batch_size_);
}

void Loader::assign(int64_t k) {
  Slot& slot = slots_[static_cast<size_t>(k % static_cast<int64_t>(slots_.size()))];
  const int64_t n = batch_length(k);
  slot.assigned = k;
  slot.remaining = n;
  slot.batch.index = k;
  if (format_ == BatchFormat::kPixels)
    slot.batch.pixels = PixelBatch{slot.pixel_bytes, slot.transforms, n, pixel_shape_[0], pixel_shape_[1], pixel_shape_[2]};
  else slot.batch.images = slot.storage.slice_batch(0, n);
  slot.batch.labels.assign(static_cast<size_t>(n), 0);
  slot.batch.ids.assign(order_.begin() + k * batch_size_, order_.begin() + k * batch_size_ + n);
}

void Loader::start(std::vector<int64_t> order, int64_t epoch, int64_t first_batch, bool allow_partial) {
  const int64_t count = static_cast<int64_t>(order.size());
  const int64_t batches = allow_partial ? (count + batch_size_ - 1) / batch_size_ : count / batch_size_;
  if (first_batch < 0 || first_batch > batches)
    CONVOY_THROW("the loader cannot start at batch ", first_batch, ": the epoch has batches 0 to ", batches);
  std::unique_lock<std::mutex> lock(mutex_);
  end_task_ = next_task_;  // no new work from the previous epoch
  ready_cv_.wait(lock, [&] { return in_flight_ == 0; });
  order_ = std::move(order);
  epoch_ = epoch;
  end_batch_ = batches;
  current_ = first_batch - 1;
  holding_ = false;
  failure_ = nullptr;
  for (Slot& slot : slots_) slot.assigned = -1;
  next_task_ = std::min(first_batch, end_batch_) * batch_size_;
  end_task_ = std::min(count, end_batch_ * batch_size_);
  for (int64_t k = first_batch; k < std::min(end_batch_, first_batch + static_cast<int64_t>(slots_.size())); ++k)
    assign(k);
  lock.unlock();
  work_cv_.notify_all();
}

void Loader::load_sample(Slot& slot, int64_t k, int64_t position, int worker) {
  const int64_t index = order_[static_cast<size_t>(k * batch_size_ + position)];
  try {
    int32_t& label = slot.batch.labels[static_cast<size_t>(position)];
    if (format_ == BatchFormat::kPixels)
      label = source_.load_pixels(index, epoch_, slot.pixel_bytes + position * per_sample_, slot.transforms[position],
                                  worker);
    else
      label = source_.load(index, epoch_, slot.storage.data() + position * per_sample_, worker);
  } catch (const Error& e) {
    // The user's data (a corrupt image): name the sample. A failed internal
    // check stays an internal error, with the sample added.
    if (e.is_user_error()) throw Error::user("loading " + source_.describe(index) + " failed: " + e.what());
    CONVOY_THROW("loading ", source_.describe(index), " failed: ", e.what());
  } catch (const std::bad_alloc&) {
    throw;  // out of memory is no fault of the sample's
  } catch (const std::exception& e) {
    CONVOY_THROW("loading ", source_.describe(index), " failed: ", e.what());
  }
}

void Loader::worker_loop(int worker) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    Slot* slot = nullptr;
    int64_t task = 0;
    work_cv_.wait(lock, [&] {
      if (stop_) return true;
      if (next_task_ >= end_task_ || failure_) return false;
      const int64_t k = next_task_ / batch_size_;
      Slot& candidate = slots_[static_cast<size_t>(k % static_cast<int64_t>(slots_.size()))];
      if (candidate.assigned != k) return false;  // its buffer is still in use
      slot = &candidate;
      task = next_task_++;
      return true;
    });
    if (stop_) return;
    ++in_flight_;
    lock.unlock();
    std::exception_ptr error;
    try {
      load_sample(*slot, task / batch_size_, task % batch_size_, worker);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    --in_flight_;
    if (error && !failure_) failure_ = error;
    // Waiters want a whole batch, a failure, or no work in flight (start()):
    // waking them for every sample cost two context switches a sample.
    if (--slot->remaining == 0 || error || in_flight_ == 0) ready_cv_.notify_all();
  }
}

const LoadedBatch* Loader::next() {
  const auto wait_start = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  if (holding_) {
    // The caller is done with batch current_: its slot takes batch current_ + slots.
    holding_ = false;
    const int64_t refill = current_ + static_cast<int64_t>(slots_.size());
    if (refill < end_batch_) {
      assign(refill);
      work_cv_.notify_all();
    }
  }
  const int64_t k = ++current_;
  if (k >= end_batch_) return nullptr;
  Slot& slot = slots_[static_cast<size_t>(k % static_cast<int64_t>(slots_.size()))];
  if (threads_.empty()) {  // no workers: load here
    // A failure ends the epoch, as with workers: the half-filled slot is
    // never handed out (under the next batch's ids).
    if (failure_) std::rethrow_exception(failure_);
    try {
      for (int64_t p = 0; p < slot.remaining; ++p) load_sample(slot, k, p, 0);
    } catch (...) {
      failure_ = std::current_exception();
      throw;
    }
    slot.remaining = 0;
    next_task_ = std::max(next_task_, (k + 1) * batch_size_);
  } else {
    ready_cv_.wait(lock, [&] { return failure_ || (slot.assigned == k && slot.remaining == 0); });
    if (failure_) std::rethrow_exception(failure_);
  }
  last_wait_ms_ =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wait_start).count();
  holding_ = true;
  return &slot.batch;
}

}  // namespace convoy
