#include "distributed/collective_watchdog.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "core/error.h"

namespace convoy {

namespace {
// "0.3" below ten seconds, "612" above.
std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, seconds < 10 ? "%.1f" : "%.0f", seconds);
  return text;
}
}  // namespace

CollectiveWatchdog::CollectiveWatchdog(int rank, double timeout_s, Hooks hooks)
    : rank_(rank), hooks_(std::move(hooks)), timeout_s_(timeout_s) {
  CONVOY_CHECK(hooks_.end_job, "a collective watchdog needs a way to end the job");
  set_timeout(timeout_s);
  thread_ = std::thread([this] { watch(); });
}

CollectiveWatchdog::~CollectiveWatchdog() { stop(); }

void CollectiveWatchdog::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void CollectiveWatchdog::set_timeout(double seconds) {
  CONVOY_CHECK(seconds > 0, "collective timeout must be positive, got ", seconds);
  timeout_s_ = seconds;
  wake_.notify_all();
}

double CollectiveWatchdog::timeout() const { return timeout_s_.load(); }

int64_t CollectiveWatchdog::begin(const std::string& label, int64_t step, bool started) {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_.push_back({++sequence_, step, label, Clock::now(), started});
  last_step_ = step;
  last_label_ = label;
  return sequence_;
}

std::deque<CollectiveWatchdog::Pending>::iterator CollectiveWatchdog::find(int64_t sequence) {
  return std::find_if(pending_.begin(), pending_.end(), [sequence](const Pending& p) { return p.sequence == sequence; });
}

void CollectiveWatchdog::running(int64_t sequence) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (const auto found = find(sequence); found != pending_.end()) {
    found->began = Clock::now();
    found->started = true;
  }
}

void CollectiveWatchdog::end(int64_t sequence) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (const auto found = find(sequence); found != pending_.end()) pending_.erase(found);
}

CollectivePosition CollectiveWatchdog::position_of(int64_t sequence, int64_t step, const std::string& label,
                                                   bool unfinished) {
  CollectivePosition position;
  position.sequence = sequence;
  position.step = step;
  position.in_collective = unfinished ? 1 : 0;
  std::snprintf(position.label, sizeof position.label, "%s", label.c_str());
  return position;
}

CollectivePosition CollectiveWatchdog::position() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (pending_.empty()) return position_of(sequence_, last_step_, last_label_, false);
  const Pending& oldest = pending_.front();
  return position_of(oldest.sequence, oldest.step, oldest.label, true);
}

void CollectiveWatchdog::watch() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    const auto tick = std::chrono::duration<double>(std::clamp(timeout() / 20.0, 0.05, 1.0));
    if (wake_.wait_for(lock, tick, [&] { return stop_; })) return;
    lock.unlock();  // the hooks talk to peers and devices: never with the lock held
    std::string message;
    if (hooks_.tick) {
      const std::string problem = hooks_.tick();
      if (!problem.empty()) message = "convoy: rank " + std::to_string(rank_) + ": error: " + problem + "; ending the job\n";
    }
    lock.lock();
    if (stop_) return;
    // The oldest collective that has started (one still queued is not timed).
    const auto running = std::find_if(pending_.begin(), pending_.end(), [](const Pending& p) { return p.started; });
    if (message.empty() && running != pending_.end()) {
      const Pending oldest = *running;
      const double waited = std::chrono::duration<double>(Clock::now() - oldest.began).count();
      if (waited <= timeout()) continue;
      lock.unlock();
      std::ostringstream text;
      text << "convoy: rank " << rank_ << ": " << oldest.label << " (collective #" << oldest.sequence
           << ") at step " << oldest.step << " has not completed after " << seconds_text(waited)
           << " s (--collective-timeout)"
           << (hooks_.ask_peers ? hooks_.ask_peers(position_of(oldest.sequence, oldest.step, oldest.label, true)) : "")
           << ". Ending the job.\n";
      message = text.str();
      lock.lock();
    }
    if (message.empty()) continue;
    lock.unlock();
    hooks_.end_job(message, kExitCollectiveStalled);
    return;  // a test's end_job returns: the watchdog has said its piece
  }
}

}  // namespace convoy
