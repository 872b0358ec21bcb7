// Communicator: the collectives data-parallel training needs, behind one small
// interface with an MPI implementation (CPUs, many nodes) and a single-process
// one (no MPI at all); a NCCL one plugs in for GPUs. Collectives are issued by
// every rank in the same order (the training loop is static), so each rank's
// k-th call meets every other rank's k-th call.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

namespace convoy {

enum class DataType { kFloat32, kBFloat16 };
size_t element_size(DataType type);
const char* to_string(DataType type);

// A collective in flight. wait() makes its result visible to the caller's
// later work and rethrows its failure: the MPI communicator blocks the calling
// thread; a GPU communicator orders the caller's stream after it instead.
class Work {
 public:
  virtual ~Work() = default;
  virtual void wait() = 0;
  virtual bool is_completed() const = 0;
};

// One finished collective, as the communicator reports it to an observer
// (the timeline, benchmarks): when it ran on the communication thread.
struct CollectiveRecord {
  std::string label;  // "all-reduce bucket 2"
  int64_t bytes = 0;
  int64_t step = -1;
  std::chrono::steady_clock::time_point start, end;
};
using CollectiveObserver = std::function<void(const CollectiveRecord&)>;

class Communicator {
 public:
  virtual ~Communicator() = default;
  Communicator() = default;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Rank and rank count among the processes on this node.
  virtual int local_rank() const = 0;
  virtual int local_size() const = 0;
  virtual std::string describe() const = 0;  // "MPI (Open MPI v4.1.4), 2 ranks"

  // In-place sum over ranks of `count` elements at data. The buffer must not
  // be touched until the returned work is waited for.
  virtual std::shared_ptr<Work> all_reduce_sum_async(void* data, int64_t count, DataType type,
                                                     const std::string& label) = 0;
  void all_reduce_sum(void* data, int64_t count, DataType type, const std::string& label) {
    all_reduce_sum_async(data, count, type, label)->wait();
  }
  // Root's `bytes` bytes at data, copied to every rank.
  virtual void broadcast(void* data, int64_t bytes, int root, const std::string& label) = 0;
  // Every rank's (small) string, in rank order, on every rank.
  virtual std::vector<std::string> all_gather(const std::string& mine, const std::string& label) = 0;
  virtual void barrier(const std::string& label) = 0;
  // Ends every process of the job now (MPI_Abort) with exit_code; never returns.
  [[noreturn]] virtual void abort(int exit_code) = 0;
  // Seconds a collective may wait for the other ranks before the job is
  // ended (communicators with a watchdog; the others ignore it).
  virtual void set_collective_timeout(double seconds) { (void)seconds; }
  // Waits until every collective queued so far has been reported to the
  // observer (before a timeline is written). The MPI communicator reports
  // each before its work completes, so has nothing to wait for; NCCL's
  // learns of finished collectives by polling their events.
  virtual void flush_reports() {}

  // The training step a stalled-collective report names.
  void set_step(int64_t step) { step_.store(step, std::memory_order_relaxed); }
  int64_t step() const { return step_.load(std::memory_order_relaxed); }
  // Called (from the communication thread) after each collective.
  void set_observer(CollectiveObserver observer) {
    std::lock_guard<std::mutex> lock(observer_mutex_);
    observer_ = std::move(observer);
  }

 protected:
  void notify(const CollectiveRecord& record) {
    std::lock_guard<std::mutex> lock(observer_mutex_);
    if (observer_) observer_(record);
  }

 private:
  std::atomic<int64_t> step_{-1};
  std::mutex observer_mutex_;
  CollectiveObserver observer_;
};

// all_gather of one trivially copyable value per rank.
template <typename T>
std::vector<T> all_gather_values(Communicator& comm, const T& value, const std::string& label) {
  static_assert(std::is_trivially_copyable_v<T>);
  const std::vector<std::string> parts =
      comm.all_gather(std::string(reinterpret_cast<const char*>(&value), sizeof(T)), label);
  std::vector<T> values(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) std::memcpy(&values[i], parts[i].data(), sizeof(T));
  return values;
}

// Root's string on every rank.
std::string broadcast_string(Communicator& comm, std::string text, int root, const std::string& label);

}  // namespace convoy
