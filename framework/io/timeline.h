// A Chrome-trace timeline (open it in Perfetto or chrome://tracing), as
// Horovod's: one process row per rank, with a compute thread (data wait,
// forward, backward, waiting for the all-reduce, optimizer step) and a
// communication thread (each collective from start to finish), so overlap
// and stragglers can be seen. Events are kept in memory (up to a cap) and
// written once, by rank 0, with every rank's events.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace convoy {

class Timeline {
 public:
  using Clock = std::chrono::steady_clock;
  enum Row { kCompute = 0, kCommunication = 1 };

  Timeline() = default;  // disabled: records nothing
  // Times are relative to origin (take it right after a barrier, so that the
  // ranks' rows line up).
  Timeline(int rank, Clock::time_point origin, size_t max_events = 2'000'000);

  bool enabled() const { return enabled_; }
  // Thread-safe.
  void add(const std::string& name, Row row, Clock::time_point start, Clock::time_point end, int64_t step);
  // This rank's events as JSON objects joined by commas.
  std::string events_json() const;
  // Writes a trace file from every rank's events_json(), in rank order.
  static void write(const std::string& path, const std::vector<std::string>& rank_events);

 private:
  struct Event {
    std::string name;
    Row row;
    double start_us, duration_us;
    int64_t step;
  };
  bool enabled_ = false;
  int rank_ = 0;
  Clock::time_point origin_;
  size_t max_events_ = 0;
  mutable std::mutex mutex_;
  std::vector<Event> events_;
};

}  // namespace convoy
