// Whether every rank holds the same parameters, bit for bit. Data-parallel
// ranks start from one broadcast and apply the same summed gradients, so
// they stay equal unless something is wrong (a rank's hardware, a reduction
// that is not the same on every rank, a bug): each rank hashes each
// parameter tensor (XXH3, 64 bits, over its bytes) and one all-gather
// compares them. A difference is an error naming the first tensor that
// differs and which ranks hold which bits, never a silent drift.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "distributed/communicator.h"
#include "nn/parameter.h"

namespace convoy {

class ParameterCheck {
 public:
  // The 64-bit hash of each parameter's values, in order. A parameter on a
  // device is copied into a host buffer kept for the next call.
  std::vector<uint64_t> hashes(const std::vector<Parameter*>& parameters);

  // Collective: every rank calls it with the same parameter list. Returns
  // when all ranks hold the same bits; else throws the same JobError on every
  // rank ("the ranks' parameters differ at <when>: conv1.bias holds one value
  // on ranks 0, 2 and another on rank 1 ...").
  void require_equal(Communicator& comm, const std::vector<Parameter*>& parameters, const std::string& when);

 private:
  Tensor staging_;  // host copy of a device parameter
};

}  // namespace convoy
