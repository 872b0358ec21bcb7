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

  // Whether the position `saved` (read from `path`) can continue in a run
  // whose own position is `current` (its global batch and training-set
  // size): a JobError when it is impossible (damage), or when it was written
  // at another global batch or for another training set, since it would then
  // name other samples; with --resume-reset-position such a position keeps
  // its epoch and starts it over (a note says so). Returns the position to
  // continue from.
  TrainingPosition check_resumable(TrainingPosition saved, const TrainingPosition& current,
                                   const std::string& path) const;

 private:
  const TrainOptions& options_;
  Communicator& comm_;
};

// A training position as text, to broadcast it.
std::string position_to_json(const TrainingPosition& position);
TrainingPosition position_from_json(const std::string& text);

}  // namespace convoy
