// The communicator of GPU training: gradients all-reduced by NCCL on a
// stream of its own, ordered after the compute stream with events and before
// the compute that follows (Work::wait makes the compute stream wait on the
// device; the host does not block). The host-side collectives (strings,
// barriers, host broadcasts) and the job's rank layout come from the host
// communicator it is built over (MPI, or the single process).
#pragma once

#include <memory>

#include "distributed/communicator.h"

namespace convoy {

// Collective: every rank calls it with its own device. Rank 0 makes the NCCL
// unique id and broadcasts it over `host`, which must outlive the result.
// Buffers passed to all_reduce_sum_async must lie on `device`; broadcast
// takes device memory (through NCCL) or host memory (through `host`).
std::unique_ptr<Communicator> make_nccl_communicator(Communicator& host, int device);

}  // namespace convoy
