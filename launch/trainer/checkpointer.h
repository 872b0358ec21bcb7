// Checkpoints of a (possibly multi-rank) training run: rank 0 alone writes
// them (atomically) and removes old ones; on --resume rank 0 alone reads the
// file and the trainer broadcasts what it holds, so the other ranks need not
// see the checkpoint folder.
#pragma once

#include <string>
#include <vector>

#include "distributed/communicator.h"
#include "io/checkpoint.h"
#include "launch/trainer/train_options.h"

namespace convoy {

class Checkpointer {
 public:
  Checkpointer(const TrainOptions& options, Communicator& comm);

  // Writes the checkpoint of `position` (rank 0) and keeps the newest
  // --keep-checkpoints; returns its path ("" without --checkpoint-dir, and on
  // the other ranks).
  std::string save(const std::vector<Parameter*>& parameters, const std::vector<Tensor>& velocities,
                   const TrainingPosition& position) const;

  // What --resume names: the file, or with "auto" the newest checkpoint in
  // --checkpoint-dir ("" when there is none yet). Rank 0's answer, on every rank.
  std::string resume_path() const;

 private:
  const TrainOptions& options_;
  Communicator& comm_;
};

// A training position as text, to broadcast it.
std::string position_to_json(const TrainingPosition& position);
TrainingPosition position_from_json(const std::string& text);

}  // namespace convoy
