// Checkpoints in HDF5: parameters and momentum buffers in plain layouts, where
// training stands, the resolved options, the seed and the version. Written
// atomically (temporary file, then rename), so a crash never leaves a file that
// looks complete but is not (formats/atomic_file.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nn/parameter.h"
#include "optim/lr_schedule.h"

namespace convoy {

struct TrainingPosition {
  int64_t epoch = 0;           // the epoch in progress (0-based)
  int64_t batch_in_epoch = 0;  // batches of that epoch already trained
  int64_t global_step = 0;     // optimizer steps taken in all
  // Images per optimizer step (per-rank batch x ranks x accumulation steps):
  // the unit of batch_in_epoch and global_step. 0: not recorded (older files).
  int64_t global_batch = 0;
  // Samples in the training set the position counts through. 0: not recorded (older files).
  int64_t train_samples = 0;
  uint64_t seed = 0;
  std::string model;           // "lenet5", "alexnet"
  std::string options_json;    // the resolved options of the run that wrote it
  LrSchedule::State schedule;
};

// Writes path atomically. velocities may be empty (a model-only checkpoint).
void save_checkpoint(const std::string& path, const std::vector<Parameter*>& parameters,
                     const std::vector<Tensor>& velocities, const TrainingPosition& position);

// Loads into existing parameters (names and shapes must match) and, when
// given, velocities. Throws a user error naming the file on any mismatch.
TrainingPosition load_checkpoint(const std::string& path, const std::vector<Parameter*>& parameters,
                                 std::vector<Tensor>* velocities);

// "<dir>/checkpoint-step-00001234.h5"
std::string checkpoint_path(const std::string& dir, int64_t global_step);
// The checkpoint with the most steps in dir, if any.
std::optional<std::string> find_latest_checkpoint(const std::string& dir);

}  // namespace convoy
