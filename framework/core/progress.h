// A progress bar for long work: on a terminal it redraws one line in place (at
// most ten times a second); elsewhere (logs, CI, mpirun's forwarded output) it
// prints a plain line at the first update, then every `log_interval_s`
// seconds, and at the end.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace convoy {

class ProgressBar {
 public:
  // first: units done before this run (a resumed job): the estimate counts only this run's.
  ProgressBar(std::string label, int64_t total, double log_interval_s = 30.0, int64_t first = 0);
  // done: units finished; status: extra text ("loss 0.123  12345 img/s").
  void update(int64_t done, const std::string& status);
  void finish();  // ends the line on a terminal

 private:
  std::string label_;
  int64_t total_, first_;
  double interval_s_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_, last_print_;
  bool printed_ = false, open_line_ = false;
};

std::string format_duration(double seconds);  // "1:02:03" or "4:05"

}  // namespace convoy
