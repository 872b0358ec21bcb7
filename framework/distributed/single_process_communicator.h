// The communicator of a run without MPI: one rank, every collective a no-op
// (completed at once), so single-process training takes the same code path.
#pragma once

#include "distributed/communicator.h"

namespace convoy {

class SingleProcessCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  int local_size() const override { return 1; }
  std::string describe() const override { return "single process"; }

  std::shared_ptr<Work> all_reduce_sum_async(void* data, int64_t count, DataType type,
                                             const std::string& label) override;
  void broadcast(void* data, int64_t bytes, int root, const std::string& label) override;
  std::vector<std::string> all_gather(const std::string& mine, const std::string& label) override;
  void barrier(const std::string& label) override;
  [[noreturn]] void abort(int exit_code) override;
};

}  // namespace convoy
