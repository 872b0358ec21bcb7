#include "distributed/startup_watchdog.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace convoy {

StartupWatchdog::StartupWatchdog(double timeout_s, std::string program)
    : timeout_s_(timeout_s), program_(std::move(program)) {
  thread_ = std::thread([this] { watch(); });
}

StartupWatchdog::~StartupWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void StartupWatchdog::waiting_for(const std::string& what) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    waiting_ = true;
    what_ = what;
    deadline_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s_));
  }
  wake_.notify_all();
}

void StartupWatchdog::working() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    waiting_ = false;
  }
  wake_.notify_all();
}

void StartupWatchdog::watch() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    if (!waiting_) {
      wake_.wait(lock, [this] { return stop_ || waiting_; });
      continue;
    }
    const Clock::time_point deadline = deadline_;
    if (wake_.wait_until(lock, deadline, [&] { return stop_ || !waiting_ || deadline_ != deadline; })) continue;
    std::fprintf(stderr,
                 "%s: rank %s: error: start-up did not complete within %g s (--startup-timeout): still waiting for "
                 "%s; ending the job\n",
                 program_.c_str(), launcher_rank_text().c_str(), timeout_s_, what_.c_str());
    std::fflush(stderr);
    ::_exit(kExitStartupStalled);  // the launcher ends the other ranks
  }
}

double startup_timeout_from(int argc, const char* const* argv, double fallback) {
  const char* flag = "--startup-timeout";
  const size_t length = std::strlen(flag);
  for (int i = 1; i < argc; ++i) {
    const char* value = nullptr;
    if (std::strcmp(argv[i], flag) == 0 && i + 1 < argc) value = argv[i + 1];
    else if (std::strncmp(argv[i], flag, length) == 0 && argv[i][length] == '=') value = argv[i] + length + 1;
    if (!value) continue;
    char* end = nullptr;
    const double seconds = std::strtod(value, &end);
    return end != value && *end == '\0' && seconds > 0 && seconds < 1e9 ? seconds : fallback;
  }
  return fallback;
}

std::string launcher_rank_text() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"})
    if (const char* value = std::getenv(name)) return value;
  return "?";
}

}  // namespace convoy
