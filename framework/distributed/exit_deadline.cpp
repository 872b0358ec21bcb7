#include "distributed/exit_deadline.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <utility>

namespace convoy {

ExitDeadline::ExitDeadline(double seconds, int exit_code, std::string call) {
  thread_ = std::thread([this, seconds, exit_code, call = std::move(call)] {
    std::unique_lock<std::mutex> lock(mutex_);
    if (disarm_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return disarmed_; })) return;
    std::fprintf(stderr, "convoy: %s did not return within %g s; exiting with code %d\n", call.c_str(), seconds,
                 exit_code);
    std::fflush(stderr);
    ::_exit(exit_code);
  });
}

ExitDeadline::~ExitDeadline() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    disarmed_ = true;
  }
  disarm_.notify_all();
  thread_.join();
}

}  // namespace convoy
