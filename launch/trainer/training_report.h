// What a training run shows and records, on rank 0 only: the start line, a
// progress bar per epoch, JSON-lines metrics (step lines every --log-every
// steps, one line per epoch), the epoch lines and the summary table.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/metrics_writer.h"
#include "launch/trainer/tensorboard_writer.h"
#include "core/progress.h"
#include "launch/trainer/train_options.h"

namespace convoy {

// One optimizer step as rank 0 reports it (times in ms, on rank 0 unless named).
struct StepFigures {
  int64_t epoch = 0, batch_in_epoch = 0, global_step = 0;
  double loss = 0;  // mean over the global batch
  double lr = 0;
  double images_per_sec = 0;  // global batch / rank 0's step wall time
  double seconds = 0;         // since the run started
  double data_ms = 0, compute_ms = 0, allreduce_ms = 0;
  double compute_min_ms = 0, compute_max_ms = 0;  // over the ranks
  int fastest_rank = 0, slowest_rank = 0;
  bool skipped = false;         // --anomaly skip dropped this step's update
  int64_t skipped_steps = 0;    // in the whole run
};

struct EpochFigures {
  int64_t epoch = 0, global_step = 0;
  double train_loss = 0, train_acc = 0;
  bool has_val = false;
  double val_acc = 0, val_top5 = 0;
  double seconds = 0, images_per_sec = 0;
};

class TrainingReport {
 public:
  // Inactive (prints and writes nothing) on ranks other than 0. Metrics are
  // appended to when resuming; TensorBoard's earlier events from next_step
  // on are superseded.
  TrainingReport(const TrainOptions& options, bool root, bool resuming, int64_t next_step);

  void start_run(const std::string& line);
  void start_epoch(int64_t epoch, int64_t steps_per_epoch);
  void step(const StepFigures& figures);
  void end_epoch(const EpochFigures& figures);
  // Ends the progress line (before a message that interrupts an epoch).
  void interrupt();
  void finish(int64_t global_step, double seconds, double images_per_sec, bool has_val, double best_top1);

 private:
  void write_scalars(const nlohmann::json& row, int64_t step,
                     const std::vector<std::pair<const char*, const char*>>& tags);

  const TrainOptions& options_;
  bool root_;
  MetricsWriter metrics_;
  TensorBoardWriter tensorboard_;
  std::unique_ptr<ProgressBar> progress_;
  std::vector<nlohmann::json> epoch_rows_;
};

}  // namespace convoy
