#include "distributed/nccl/nccl_communicator.h"

#include <cuda_runtime_api.h>
#include <nccl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/cuda_device.h"
#include "core/error.h"
#include "distributed/device_communicators.h"
#include "distributed/exit_deadline.h"
#include "distributed/mpi_communicator.h"

namespace convoy {

namespace {

using Clock = std::chrono::steady_clock;

ncclDataType_t nccl_type(DataType type) {
  switch (type) {
    case DataType::kFloat32: return ncclFloat32;
    case DataType::kBFloat16: return ncclBfloat16;
  }
  CONVOY_THROW("unknown data type");
}

// Events recorded around a collective on the communication stream, shared by
// its Work and the watchdog: `done` orders the compute stream after it and
// tells the watchdog it finished; with `start`, it times it for the observer.
struct CollectiveEvents {
  cudaEvent_t start = nullptr, done = nullptr;
  ~CollectiveEvents() {
    if (start) cudaEventDestroy(start);
    if (done) cudaEventDestroy(done);
  }
};

class NcclWork final : public Work {
 public:
  NcclWork(std::shared_ptr<CollectiveEvents> events, cudaStream_t compute)
      : events_(std::move(events)), compute_(compute) {}
  // Stream-ordered: the compute stream's later work waits for the collective.
  void wait() override { CONVOY_CUDA(cudaStreamWaitEvent, "all-reduce wait", compute_, events_->done, 0); }
  bool is_completed() const override { return cudaEventQuery(events_->done) == cudaSuccess; }

 private:
  std::shared_ptr<CollectiveEvents> events_;
  cudaStream_t compute_;
};

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(Communicator& host, int device) : host_(host), device_(device) {
    cuda::DeviceContext& context = cuda::context(device);  // checks the device and makes it current
    compute_ = context.stream;
    ncclUniqueId id{};
    if (host.rank() == 0) CONVOY_CUDA(ncclGetUniqueId, "NCCL unique id", &id);
    host.broadcast(&id, sizeof id, 0, "broadcast of the NCCL unique id");
    CONVOY_CUDA(ncclCommInitRank, "NCCL communicator of " + std::to_string(host.size()) + " ranks on cuda:" +
                                      std::to_string(device),
                &comm_, host.size(), id, host.rank());
    CONVOY_CUDA(cudaStreamCreateWithFlags, "communication stream", &stream_, cudaStreamNonBlocking);
    CONVOY_CUDA(cudaEventCreateWithFlags, "communication event", &compute_ready_, cudaEventDisableTiming);
    CONVOY_CUDA(cudaStreamCreateWithFlags, "clock stream", &clock_stream_, cudaStreamNonBlocking);
    CONVOY_CUDA(cudaEventCreate, "clock event", &clock_event_);
    CONVOY_CUDA(cudaEventCreate, "clock event", &clock_candidate_);
    set_clock();
    watchdog_ = std::thread([this] { watch(); });
  }
  ~NcclCommunicator() override {
    // Unwinding from an error, a collective may be in flight that a peer will
    // never join: abort it rather than wait (and end the process if even the
    // abort hangs). Otherwise drain the stream while the watchdog still
    // guards it.
    const bool unwinding = std::uncaught_exceptions() > 0;
    if (unwinding) {
      ExitDeadline deadline(kAbortGraceSeconds, 1, "ncclCommAbort, unwinding from an error,");
      abort_communicator();
    } else {
      cudaStreamSynchronize(stream_);
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    drained_.notify_all();
    watchdog_.join();
    in_flight_.clear();
    cudaEventDestroy(compute_ready_);
    cudaEventDestroy(clock_event_);
    cudaEventDestroy(clock_candidate_);
    cudaStreamDestroy(clock_stream_);
    cudaStreamDestroy(stream_);
    if (!unwinding) ncclCommDestroy(comm_);
  }

  int rank() const override { return host_.rank(); }
  int size() const override { return host_.size(); }
  int local_rank() const override { return host_.local_rank(); }
  int local_size() const override { return host_.local_size(); }
  std::string describe() const override {
    int version = 0;
    ncclGetVersion(&version);
    char text[64];
    std::snprintf(text, sizeof text, "NCCL %d.%d.%d on cuda:%d", version / 10000, version / 100 % 100,
                  version % 100, device_);
    return text + std::string(" over ") + host_.describe();
  }

  std::shared_ptr<Work> all_reduce_sum_async(void* data, int64_t count, DataType type,
                                             const std::string& label) override {
    CONVOY_CHECK(count >= 0, "all-reduce of ", count, " elements");
    CONVOY_CHECK(is_device_memory(data, label), label, ": NCCL all-reduces memory on cuda:", device_, " only");
    cudaStream_t stream = after_compute(label);
    auto events = record_start(label);
    CONVOY_CUDA(ncclAllReduce, label, data, data, static_cast<size_t>(count), nccl_type(type), ncclSum, comm_,
                stream);
    record_done(events, label, count * static_cast<int64_t>(element_size(type)));
    return std::make_shared<NcclWork>(events, compute_);
  }

  void broadcast(void* data, int64_t bytes, int root, const std::string& label) override {
    if (!is_device_memory(data, label)) return host_.broadcast(data, bytes, root, label);
    cudaStream_t stream = after_compute(label);
    auto events = record_start(label);
    CONVOY_CUDA(ncclBroadcast, label, data, data, static_cast<size_t>(bytes), ncclUint8, root, comm_, stream);
    record_done(events, label, bytes);
    NcclWork(events, compute_).wait();
  }

  std::vector<std::string> all_gather(const std::string& mine, const std::string& label) override {
    return host_.all_gather(mine, label);
  }
  void barrier(const std::string& label) override { host_.barrier(label); }
  [[noreturn]] void abort(int exit_code) override {
    {
      ExitDeadline deadline(kAbortGraceSeconds, exit_code, "ncclCommAbort");
      abort_communicator();  // a peer's failure must not leave this rank in a kernel
    }
    host_.abort(exit_code);
    std::_Exit(exit_code);  // not reached: host_.abort does not return
  }
  void set_collective_timeout(double seconds) override {
    timeout_s_ = seconds;
    host_.set_collective_timeout(seconds);
  }
  // Once the communication stream has drained, the watchdog (woken now)
  // reports what finished. A collective that never finishes holds the caller
  // until the watchdog's --collective-timeout ends the job; the wait for the
  // watchdog itself is bounded.
  void flush_reports() override {
    cudaStreamSynchronize(stream_);
    std::unique_lock<std::mutex> lock(mutex_);
    flush_requested_ = true;
    wake_.notify_all();
    drained_.wait_for(lock, std::chrono::seconds(5), [this] { return !flush_requested_ || stop_ || aborted_; });
  }

 private:
  struct InFlight {
    std::shared_ptr<CollectiveEvents> events;
    std::string label;
    int64_t bytes, step;
    Clock::time_point queued;
  };

  // Whether data is device memory (host memory is not); device memory of
  // another GPU than this communicator's is an error.
  bool is_device_memory(const void* data, const std::string& label) const {
    cudaPointerAttributes attributes{};
    if (cudaPointerGetAttributes(&attributes, data) != cudaSuccess) {
      cudaGetLastError();
      return false;
    }
    if (attributes.type != cudaMemoryTypeDevice) return false;
    CONVOY_CHECK(attributes.device == device_, label, ": memory on cuda:", attributes.device,
                 ", but this NCCL communicator is on cuda:", device_);
    return true;
  }
  // The communication stream, made to wait for what the compute stream has
  // queued. The device is made current first: the collective's events are
  // made on the calling thread's current device.
  cudaStream_t after_compute(const std::string& label) {
    cuda::context(device_);
    CONVOY_CUDA(cudaEventRecord, label, compute_ready_, compute_);
    CONVOY_CUDA(cudaStreamWaitEvent, label, stream_, compute_ready_, 0);
    return stream_;
  }
  // Aborts the NCCL communicator once, with the watchdog kept off it (it
  // checks aborted_ under the same lock before touching comm_).
  void abort_communicator() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (aborted_) return;
    aborted_ = true;
    drained_.notify_all();
    ncclCommAbort(comm_);
  }

  // The events of the collective about to be queued, its start recorded.
  std::shared_ptr<CollectiveEvents> record_start(const std::string& label) {
    auto events = std::make_shared<CollectiveEvents>();
    CONVOY_CUDA(cudaEventCreate, label, &events->start);
    CONVOY_CUDA(cudaEventCreate, label, &events->done);
    CONVOY_CUDA(cudaEventRecord, label, events->start, stream_);
    return events;
  }
  // Its end recorded after the collective just queued; handed to the watchdog.
  void record_done(const std::shared_ptr<CollectiveEvents>& events, const std::string& label, int64_t bytes) {
    CONVOY_CUDA(cudaEventRecord, label, events->done, stream_);
    std::lock_guard<std::mutex> lock(mutex_);
    in_flight_.push_back({events, label, bytes, step(), Clock::now()});
  }

  // The host's clock at the instant clock_event_ was taken on the GPU, to
  // place events timed on the GPU on the host's timeline. Taken at start and
  // again by the watchdog every 10 s, or at each poll until one has been
  // taken (the two clocks drift apart, and cudaEventElapsedTime's float
  // milliseconds lose precision over long spans), always without holding
  // mutex_. The candidate is recorded on an idle stream of its own; if it
  // has not completed within 5 ms (its stream may share a hardware queue
  // with a collective that waits for a peer), the old anchor stays. Used by
  // the watchdog thread alone once it runs.
  void set_clock() {
    const Clock::time_point before = Clock::now();
    if (cudaEventRecord(clock_candidate_, clock_stream_) != cudaSuccess) {
      cudaGetLastError();
      return;
    }
    cudaError_t state;
    while ((state = cudaEventQuery(clock_candidate_)) == cudaErrorNotReady &&
           Clock::now() - before < std::chrono::milliseconds(5))
      std::this_thread::yield();
    const Clock::time_point after = Clock::now();
    clock_tried_ = after;
    if (state != cudaSuccess) {
      cudaGetLastError();
      return;
    }
    std::swap(clock_event_, clock_candidate_);
    clock_at_event_ = before + (after - before) / 2;
    clock_ready_ = true;
  }
  // A finished collective, timed on the GPU, to the observer (the timeline).
  // Without a clock anchor (or GPU times), the host's times stand in: from
  // when it was queued to now, which bound it.
  void report(const InFlight& finished) {
    float start_ms = 0, end_ms = 0;
    const bool timed = clock_ready_ &&
                       cudaEventElapsedTime(&start_ms, clock_event_, finished.events->start) == cudaSuccess &&
                       cudaEventElapsedTime(&end_ms, clock_event_, finished.events->done) == cudaSuccess;
    if (clock_ready_ && !timed) cudaGetLastError();
    const auto at = [&](float ms) {
      return clock_at_event_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(ms));
    };
    try {
      if (timed) notify({finished.label, finished.bytes, finished.step, at(start_ms), at(end_ms)});
      else notify({finished.label, finished.bytes, finished.step, finished.queued, Clock::now()});
    } catch (const std::exception& e) {  // an observer's failure must not end the job from this thread
      std::fprintf(stderr, "note: the timeline lost a collective: %s\n", e.what());
    }
  }

  // As the MPI communicator's watchdog: a collective that has not finished
  // after the collective timeout (a peer stalled before its call, or gone),
  // or an error NCCL reports asynchronously, ends the job with a message
  // instead of leaving every rank waiting on the GPU.
  void watch() {
    cudaSetDevice(device_);
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stop_ || aborted_ || flush_requested_; });
      if (stop_ || aborted_) break;
      if (!clock_ready_ || Clock::now() - clock_tried_ > std::chrono::seconds(10)) {
        lock.unlock();  // never wait on the GPU with the lock held
        set_clock();
        lock.lock();
        if (stop_ || aborted_) break;
      }
      while (!in_flight_.empty() && cudaEventQuery(in_flight_.front().events->done) == cudaSuccess) {
        report(in_flight_.front());
        in_flight_.pop_front();
      }
      if (flush_requested_) {
        flush_requested_ = false;
        drained_.notify_all();
      }
      ncclResult_t state = ncclSuccess;
      ncclCommGetAsyncError(comm_, &state);
      std::string problem;
      if (state != ncclSuccess && state != ncclInProgress) {
        const char* detail = ncclGetLastError(comm_);
        problem = std::string("NCCL reported ") + ncclGetErrorString(state) + (detail && *detail ? ": " : "") +
                  (detail ? detail : "");
      } else if (!in_flight_.empty()) {
        const InFlight& oldest = in_flight_.front();
        const double waited = std::chrono::duration<double>(Clock::now() - oldest.queued).count();
        if (waited > timeout_s_.load())
          problem = oldest.label + " at step " + std::to_string(oldest.step) + " has not finished after " +
                    std::to_string(static_cast<int>(waited)) +
                    " s (--collective-timeout): a rank stalled before its call, or is gone";
      }
      if (problem.empty()) continue;
      std::fprintf(stderr, "rank %d: error: %s; ending the job\n", host_.rank(), problem.c_str());
      std::fflush(stderr);
      aborted_ = true;
      drained_.notify_all();
      {
        ExitDeadline deadline(kAbortGraceSeconds, kExitCollectiveStalled, "ncclCommAbort");
        ncclCommAbort(comm_);
      }
      host_.abort(kExitCollectiveStalled);
    }
  }

  Communicator& host_;
  int device_;
  ncclComm_t comm_ = nullptr;
  cudaStream_t compute_ = nullptr, stream_ = nullptr;
  cudaEvent_t compute_ready_ = nullptr;
  cudaStream_t clock_stream_ = nullptr;  // idle but for the clock events
  cudaEvent_t clock_event_ = nullptr, clock_candidate_ = nullptr;
  Clock::time_point clock_at_event_, clock_tried_;  // the watchdog's alone once it runs
  bool clock_ready_ = false;
  std::atomic<double> timeout_s_{600.0};
  std::mutex mutex_;
  std::condition_variable wake_, drained_;
  std::deque<InFlight> in_flight_;
  bool stop_ = false, aborted_ = false, flush_requested_ = false;  // under mutex_
  std::thread watchdog_;
};

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(Communicator& host, int device) {
  return std::make_unique<NcclCommunicator>(host, device);
}

namespace {
int register_nccl_communicator() {
  register_device_communicator(DeviceKind::kCUDA, make_nccl_communicator);
  return 1;
}
}  // namespace

}  // namespace convoy

// The anchor: framework/CMakeLists.txt makes every program that links convoy
// need this symbol, which brings this file (and its registration) in, as
// backend/cuda/cuda_registration.cpp does for the CUDA backend.
extern "C" const int convoy_nccl_communicator_registered = convoy::register_nccl_communicator();
