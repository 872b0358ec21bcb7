#include "core/progress.h"

#include <unistd.h>

#include <cstdio>

namespace convoy {

ProgressBar::ProgressBar(std::string label, int64_t total, double log_interval_s, int64_t first)
    : label_(std::move(label)),
      total_(total),
      first_(first),
      terminal_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {
  interval_s_ = terminal_ ? 0.1 : log_interval_s;
}

std::string format_duration(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char text[32];
  if (s >= 3600)
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  return text;
}

void ProgressBar::update(int64_t done, const std::string& status) {
  const bool last = done >= total_;
  const auto now = std::chrono::steady_clock::now();
  if (printed_ && !last && std::chrono::duration<double>(now - last_print_).count() < interval_s_) return;
  printed_ = true;
  last_print_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const int64_t this_run = done - first_;
  const double eta =
      this_run > 0 ? elapsed * static_cast<double>(total_ - done) / static_cast<double>(this_run) : 0.0;
  constexpr int kWidth = 24;
  const int filled = total_ > 0 ? static_cast<int>(kWidth * done / total_) : kWidth;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  std::fprintf(stderr, "%s%s [%s] %lld/%lld  %s  eta %s%s", terminal_ ? "\r\033[K" : "",
               label_.c_str(), bar.c_str(), static_cast<long long>(done),
               static_cast<long long>(total_), status.c_str(), format_duration(eta).c_str(),
               terminal_ ? "" : "\n");
  open_line_ = terminal_;
  std::fflush(stderr);
}

void ProgressBar::finish() {
  if (open_line_) std::fputc('\n', stderr);
  open_line_ = false;
}

}  // namespace convoy
