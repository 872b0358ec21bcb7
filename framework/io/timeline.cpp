#include "io/timeline.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "formats/atomic_file.h"

namespace convoy {

Timeline::Timeline(int rank, Clock::time_point origin, size_t max_events)
    : enabled_(true), rank_(rank), origin_(origin), max_events_(max_events) {
  events_.reserve(4096);
}

void Timeline::add(const std::string& name, Row row, Clock::time_point start, Clock::time_point end, int64_t step) {
  if (!enabled_) return;
  const double start_us = std::chrono::duration<double, std::micro>(start - origin_).count();
  const double duration_us = std::chrono::duration<double, std::micro>(end - start).count();
  std::lock_guard<std::mutex> lock(mutex_);
  if (events_.size() < max_events_) events_.push_back(Event{name, row, start_us, duration_us, step});
}

std::string Timeline::events_json() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  auto append = [&](const nlohmann::json& event) {
    if (!out.empty()) out += ",\n";
    out += event.dump();
  };
  append({{"name", "process_name"}, {"ph", "M"}, {"pid", rank_}, {"args", {{"name", "rank " + std::to_string(rank_)}}}});
  append({{"name", "process_sort_index"}, {"ph", "M"}, {"pid", rank_}, {"args", {{"sort_index", rank_}}}});
  append({{"name", "thread_name"}, {"ph", "M"}, {"pid", rank_}, {"tid", kCompute}, {"args", {{"name", "compute"}}}});
  append({{"name", "thread_name"}, {"ph", "M"}, {"pid", rank_}, {"tid", kCommunication},
          {"args", {{"name", "communication"}}}});
  auto tenth = [](double us) { return std::round(us * 10.0) / 10.0; };
  for (const Event& e : events_)
    append({{"name", e.name}, {"ph", "X"}, {"pid", rank_}, {"tid", static_cast<int>(e.row)},
            {"ts", tenth(e.start_us)}, {"dur", tenth(e.duration_us)}, {"args", {{"step", e.step}}}});
  return out;
}

void Timeline::write(const std::string& path, const std::vector<std::string>& rank_events) {
  write_file_atomically(path, [&](const std::string& temporary) {
    std::ofstream out(temporary);
    if (!out) CONVOY_USER_ERROR("cannot write the timeline '", path, "'");
    out << "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n";
    bool first = true;
    for (const std::string& events : rank_events) {
      if (events.empty()) continue;
      out << (first ? "" : ",\n") << events;
      first = false;
    }
    out << "\n]}\n";
    out.close();
    if (!out) CONVOY_USER_ERROR("writing the timeline '", path, "' failed (disk full?)");
  });
}

}  // namespace convoy
