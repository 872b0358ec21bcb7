// One watchdog class for the collectives of every communicator, as Horovod
// keeps one stall inspector (the MPI communicator uses it; the NCCL
// communicator's own timing is to move onto it): a communicator registers
// each collective before it issues it (begin) and retires it once it has
// finished (end); a thread of the watchdog's own ends the job when the oldest
// collective that has started has waited longer than the collective timeout, with a message naming the operation, the step and,
// through the communicator's peer query, the ranks that have not arrived.
// It knows no MPI and no NCCL: what it needs of them comes as hooks, so a test
// drives it with hooks of its own.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace convoy {

// Where a rank's collectives are: what a stalled rank asks its peers, and
// what they answer (trivially copyable: ranks send it to each other as bytes).
struct CollectivePosition {
  int64_t sequence = 0;  // the collective's number: collectives started so far, counting it
  int64_t step = -1;     // the training step it belongs to
  int32_t in_collective = 0;  // 1 while it is unfinished; 0 when the rank is computing
  char label[60] = {};        // "all-reduce of bucket 3 (2.1 MB)"
};

class CollectiveWatchdog {
 public:
  struct Hooks {
    // Runs on the watchdog's thread at every tick (a twentieth of the
    // timeout, between 50 ms and 1 s): answer the peers' questions, retire
    // device collectives that finished. A non-empty result is an error that
    // ends the job as a stall does. May be null.
    std::function<std::string()> tick;
    // Where the other ranks are when `stuck` has waited too long, as text
    // that follows the stall message ("; ranks not arrived: 1 (...)"). May be null.
    std::function<std::string(const CollectivePosition& stuck)> ask_peers;
    // Says `message` and ends the job with `exit_code`; it does not return in
    // a program (if it does, in a test, the watchdog stops watching).
    std::function<void(const std::string& message, int exit_code)> end_job;
  };

  // `rank` names this process in the messages.
  CollectiveWatchdog(int rank, double timeout_s, Hooks hooks);
  ~CollectiveWatchdog();
  CollectiveWatchdog(const CollectiveWatchdog&) = delete;
  CollectiveWatchdog& operator=(const CollectiveWatchdog&) = delete;

  void set_timeout(double seconds);
  double timeout() const;

  // Registers a collective about to be issued and returns its sequence
  // number. Started, its wait counts from now; not started (a communicator
  // that queues collectives), it is not timed until running() says it left
  // the queue, so that the time spent behind others is not counted against it.
  int64_t begin(const std::string& label, int64_t step, bool started = true);
  // Collective `sequence` starts now: its wait counts from here.
  void running(int64_t sequence);
  // Retires collective `sequence` (finished or failed); unknown ones are ignored.
  void end(int64_t sequence);
  // The oldest unfinished collective, or the last one begun (in_collective 0) when none is unfinished.
  CollectivePosition position() const;
  // Stops the thread (idempotent); registered collectives are no longer watched.
  void stop();
  // What a peer is told of a collective (the label cut to fit).
  static CollectivePosition position_of(int64_t sequence, int64_t step, const std::string& label, bool unfinished);

 private:
  using Clock = std::chrono::steady_clock;
  struct Pending {
    int64_t sequence, step;
    std::string label;
    Clock::time_point began;
    bool started;
  };
  void watch();
  std::deque<Pending>::iterator find(int64_t sequence);  // under mutex_

  const int rank_;
  Hooks hooks_;
  std::atomic<double> timeout_s_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> pending_;  // in the order they began
  int64_t sequence_ = 0, last_step_ = -1;
  std::string last_label_;
  bool stop_ = false;
  std::thread thread_;
};

// Exit code of a job ended by the watchdog.
inline constexpr int kExitCollectiveStalled = 3;

}  // namespace convoy
