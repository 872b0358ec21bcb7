// The MPI communicator (Open MPI on CPUs, across nodes). Every MPI call of the
// collectives runs on one communication thread (distributed/communication_thread.h),
// in the order the caller issued them, so an all-reduce started during
// backward progresses while the compute threads go on. The collective
// watchdog (distributed/collective_watchdog.h) ends the whole job when a
// collective has not finished after the collective timeout, naming the
// operation, the step and the ranks that have not arrived, which it learns by
// asking them over a control communicator (distributed/mpi_peer_query.h);
// MPI_Abort is backed by a bounded _exit, since a dead link can keep the abort
// from reaching mpirun.
#pragma once

#include <memory>

#include "distributed/collective_watchdog.h"
#include "distributed/communicator.h"
#include "distributed/exit_deadline.h"

namespace convoy {

struct MpiOptions {
  double collective_timeout_s = 600;  // a collective unfinished after this long ends the job
  double abort_grace_s = kAbortGraceSeconds;  // _exit on our own if MPI_Abort has not ended us by then
};

// Whether an MPI launcher (mpirun, srun --mpi=pmix) started this process.
bool launched_by_mpi_launcher();

class MpiCommunicator final : public Communicator {
 public:
  // Initialises MPI (MPI_THREAD_MULTIPLE: the watchdog asks the other ranks
  // where they are while the communication thread waits in a collective).
  // One per process.
  explicit MpiCommunicator(MpiOptions options = {});
  ~MpiCommunicator() override;  // finalize()s

  // Finishes queued collectives, stops the threads, MPI_Finalize.
  void finalize();
  void set_collective_timeout(double seconds) override;

  int rank() const override;
  int size() const override;
  int local_rank() const override;
  int local_size() const override;
  std::string describe() const override;
  std::shared_ptr<Work> all_reduce_sum_async(void* data, int64_t count, DataType type,
                                             const std::string& label) override;
  void broadcast(void* data, int64_t bytes, int root, const std::string& label) override;
  std::vector<std::string> all_gather(const std::string& mine, const std::string& label) override;
  void barrier(const std::string& label) override;
  [[noreturn]] void abort(int exit_code) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace convoy
