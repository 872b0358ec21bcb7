#include "distributed/communication_thread.h"

#include "core/error.h"

namespace convoy {

// Done once the communication thread has run its collective; wait() blocks
// the caller until then and rethrows its failure.
class CommunicationThread::QueuedWork final : public Work {
 public:
  void wait() override {
    std::unique_lock<std::mutex> lock(mutex_);
    done_cv_.wait(lock, [&] { return done_; });
    if (error_) std::rethrow_exception(error_);
  }
  bool is_completed() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return done_;
  }
  void complete(std::exception_ptr error) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
      error_ = std::move(error);
    }
    done_cv_.notify_all();
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::exception_ptr error_;
};

CommunicationThread::CommunicationThread(
    CollectiveWatchdog& watchdog,
    std::function<std::string(const CollectivePosition&, const Error&)> explain_failure,
    std::function<void(const CollectiveRecord&)> notify)
    : watchdog_(watchdog), explain_failure_(std::move(explain_failure)), notify_(std::move(notify)) {
  thread_ = std::thread([this] { loop(); });
}

CommunicationThread::~CommunicationThread() { stop(); }

void CommunicationThread::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<Work> CommunicationThread::issue(Collective collective) {
  auto work = std::make_shared<QueuedWork>();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    CONVOY_CHECK(!stopping_, "collective '", collective.label, "' after the communicator was finalised");
    // Registered now, timed once it runs (run()).
    const int64_t sequence = watchdog_.begin(collective.label, collective.step, /*started=*/false);
    queue_.push_back(Queued{std::move(collective), sequence, work});
  }
  wake_.notify_one();
  return work;
}

void CommunicationThread::loop() {
  while (true) {
    Queued queued;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      queued = std::move(queue_.front());
      queue_.pop_front();
    }
    run(queued);
  }
}

void CommunicationThread::run(Queued& queued) {
  const Collective& collective = queued.collective;
  watchdog_.running(queued.sequence);
  const auto start = std::chrono::steady_clock::now();
  std::exception_ptr error;
  try {
    collective.run();
  } catch (const Error& e) {
    const CollectivePosition failed =
        CollectiveWatchdog::position_of(queued.sequence, collective.step, collective.label, true);
    error = std::make_exception_ptr(Error::user(explain_failure_(failed, e)));
  } catch (...) {
    error = std::current_exception();
  }
  watchdog_.end(queued.sequence);
  notify_(CollectiveRecord{collective.label, collective.bytes, collective.step, start, std::chrono::steady_clock::now()});
  queued.work->complete(error);
}

}  // namespace convoy
