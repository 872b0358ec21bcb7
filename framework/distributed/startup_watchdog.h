// The deadline on start-up's waits for the other ranks and the libraries,
// which no collective watchdog guards yet or at all: MPI_Init (every rank of
// the job must start), the ranks' placement and agreement, the GPU
// communicator's initialisation, the start broadcast. Each wait gets the same
// time (--startup-timeout), short local work around it included (setting up
// the GPU, initialising the parameters, reading a checkpoint to resume from);
// this rank's longer own work between the waits (opening and caching the
// data, building the model) is not timed. A wait that outlives it ends this
// process with a message saying what did not complete, and the launcher then
// ends the job: a rank that never starts, or hangs on the way, cannot leave
// the others waiting without a word.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace convoy {

// Exit code of a process whose start-up did not complete in time.
inline constexpr int kExitStartupStalled = 4;

class StartupWatchdog {
 public:
  // `program` names the process in the message ("train_alexnet").
  StartupWatchdog(double timeout_s, std::string program);
  ~StartupWatchdog();
  StartupWatchdog(const StartupWatchdog&) = delete;
  StartupWatchdog& operator=(const StartupWatchdog&) = delete;

  // A wait begins ("MPI_Init (every rank of the job to start)"): the deadline starts now.
  void waiting_for(const std::string& what);
  // The wait ended: this rank's own work is not timed.
  void working();
  // Start-up is over; nothing is timed any more.
  void done() { working(); }

 private:
  using Clock = std::chrono::steady_clock;
  void watch();

  const double timeout_s_;
  const std::string program_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool waiting_ = false, stop_ = false;
  std::string what_;
  Clock::time_point deadline_;
  std::thread thread_;
};

// --startup-timeout from the command line, read before MPI starts (the other
// options are parsed after): its value, or `fallback` where it is absent or
// not a positive number (the full parse then names the bad value).
double startup_timeout_from(int argc, const char* const* argv, double fallback);

// This process's rank as its launcher gave it (Open MPI, PMIx, PMI, Slurm), as
// text for messages written before MPI starts; "?" when none is set.
std::string launcher_rank_text();

}  // namespace convoy
