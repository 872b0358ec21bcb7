// Before training, every rank must agree on what changes the maths (the
// model, the options, the data) and every rank must have set up without an
// error: otherwise N ranks would silently train N different things, or the
// healthy ranks would wait forever for a failed one in the first collective.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "distributed/communicator.h"

namespace convoy {

// An error that every rank of the job reaches alike (a disagreement found by
// all, a setup error, a diverged loss seen by all): rank 0 prints it once and
// every rank exits non-zero, with no MPI_Abort.
class JobError : public Error {
 public:
  explicit JobError(const std::string& message) : Error(Error::user(message)) {}
};

struct Fact {
  std::string name;   // "--lr", "parameter conv1.weight", "training data"
  std::string value;  // "0.01", "(6, 1, 5, 5)", "60000 samples, 10 classes"
};

// Exchanges every rank's facts (or the error that ended its set-up, when
// setup_error is not empty). Throws the same JobError on every rank when a
// rank failed ("rank 1: <its error>", or the error alone when all failed
// alike) or when the facts differ ("ranks disagree: rank 1: --lr 0.02, rank 0:
// --lr 0.01", the first difference in fact order).
void require_agreement(Communicator& comm, const std::vector<Fact>& mine, const std::string& setup_error);

}  // namespace convoy
