// A bound on calls that may never return while a job ends: MPI_Abort, whose
// message a dead link can keep from mpirun, and ncclCommAbort, which can wait
// on a kernel that waits for a peer that is gone (PyTorch's NCCL process
// group guards its abort with a heartbeat monitor for the same reason).
// While an ExitDeadline lives, the process ends with `exit_code` once
// `seconds` have passed, saying which call did not return; destroying it
// disarms it.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace convoy {

// How long an abort may take before the process ends on its own.
inline constexpr double kAbortGraceSeconds = 15;

class ExitDeadline {
 public:
  // `call`: what is guarded, for the message ("MPI_Abort", "ncclCommAbort").
  ExitDeadline(double seconds, int exit_code, std::string call);
  ~ExitDeadline();
  ExitDeadline(const ExitDeadline&) = delete;
  ExitDeadline& operator=(const ExitDeadline&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable disarm_;
  bool disarmed_ = false;
  std::thread thread_;
};

}  // namespace convoy
