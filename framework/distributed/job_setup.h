// How this process takes part in a job: which communicator, how many threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "distributed/communicator.h"
#include "distributed/mpi_communicator.h"
#include "tensor/device.h"

namespace convoy {

// MPI when an MPI launcher (mpirun, srun --mpi=pmix) started the process,
// else the single-process communicator (no MPI initialisation at all).
std::unique_ptr<Communicator> make_communicator(const MpiOptions& options = {});

// The communicator for gradients on `device`, built over `host` (which must
// outlive it): NCCL for a CUDA device, nullptr for the CPU or a process
// without MPI (use `host`).
// Two ranks on one GPU (more ranks on a node than it has GPUs, or one
// --device given to all) are a user error naming them, raised on every rank.
// Collective.
std::unique_ptr<Communicator> make_device_communicator(Communicator& host, Device device);

// The first two ranks (in rank order) whose entries are equal, or nullopt.
std::optional<std::pair<int, int>> first_two_alike(const std::vector<std::string>& per_rank);

struct Placement {
  // Compute threads per rank: the cores in this process's affinity mask
  // divided by the ranks on this node that share the same mask, at least 1.
  // Open MPI binds each rank to its own core up to 2 ranks and not at all when
  // oversubscribed: then 3 ranks on 2 cores share one mask and get 1 thread each.
  int threads_per_rank = 1;
  // "node001: ranks 0-7; node002: ranks 8-15" (which host runs which ranks).
  std::string ranks_by_host;
};
// Collective (every rank calls it).
Placement place_ranks(Communicator& comm);

}  // namespace convoy
