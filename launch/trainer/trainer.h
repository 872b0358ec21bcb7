// The training loop shared by train_lenet and train_alexnet, for one process
// or N MPI ranks that train one model (DataParallel): epochs of sharded,
// shuffled batches, SGD with a schedule, sharded evaluation after each epoch,
// stop requests agreed by all ranks, checkpoints and exact resume (also at
// another rank count with the same global batch). Reporting (TrainingReport),
// checkpoints (Checkpointer) and evaluation (Evaluator) live in files of
// their own; this file is the step loop, in named phases: run() resumes
// where the position says, and for each epoch trains its steps
// (stop_before_step, run_step = train_step + the ranks' reports), then
// evaluates, reports and checkpoints (end_epoch).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "backend/batch_uploader.h"
#include "data_pipeline/loader.h"
#include "data_pipeline/sample_source.h"
#include "distributed/communicator.h"
#include "distributed/data_parallel.h"
#include "distributed/parameter_check.h"
#include "io/checkpoint.h"
#include "io/timeline.h"
#include "launch/trainer/anomaly_policy.h"
#include "launch/trainer/checkpointer.h"
#include "launch/trainer/evaluator.h"
#include "launch/trainer/train_options.h"
#include "launch/trainer/training_report.h"
#include "nn/loss.h"
#include "nn/sequential.h"
#include "optim/lr_schedule.h"
#include "optim/sgd.h"

namespace convoy {

class Trainer {
 public:
  // val may be null (no evaluation). Every rank builds its Trainer with the
  // same options; the parameters start as rank 0's.
  Trainer(TrainOptions options, Sequential& model, SampleSource& train, SampleSource* val, Communicator& comm);
  ~Trainer();

  // Trains to --epochs (or --max-steps, or an agreed stop request); returns the exit code.
  int run();
  EvalResult evaluate();  // on the validation source; collective
  // Rank 0 reads parameters (and the optimizer state and position when
  // resuming) from a checkpoint and every rank receives them. Collective.
  void load(const std::string& path, bool with_optimizer_state);

  Sgd& optimizer() { return sgd_; }
  int64_t global_step() const { return position_.global_step; }
  // Images per optimizer step over all ranks.
  int64_t global_batch() const { return position_.global_batch; }
  double base_lr() const { return schedule_.options().base_lr; }

 private:
  struct StepOutcome {
    double loss = 0;  // this rank's mean over its micro-batches
    int64_t correct = 0;
    double data_ms = 0, compute_ms = 0, allreduce_ms = 0;
    bool skipped = false;  // the update was dropped (--anomaly skip)
  };
  // What each rank tells the others after every step (one small all-gather).
  struct StepReport {
    double loss = 0, compute_ms = 0;
    int64_t correct = 0;
    int32_t stop_signal = 0, padding = 0;
  };

  // What one run() accumulates over its epochs.
  struct RunTotals {
    std::chrono::steady_clock::time_point start;
    double best_top1 = 0;
    int64_t images_trained = 0;
    int agreed_stop = 0;  // a stop signal some rank saw, agreed in the last step report
  };
  // What one epoch's steps add up to (steps whose update was dropped not counted).
  struct EpochSums {
    std::chrono::steady_clock::time_point start;
    double loss = 0;  // summed over the images
    int64_t correct = 0, seen = 0;
  };

  int64_t steps_per_epoch() const;
  std::string start_line(int64_t steps_per_epoch) const;
  bool stop_before_step(TrainingReport& report, int agreed_stop);
  void run_step(int64_t steps_per_epoch, TrainingReport& report, RunTotals& run, EpochSums& sums);
  StepFigures step_figures(const StepOutcome& outcome, const std::vector<StepReport>& reports, double lr,
                           double step_ms, const RunTotals& run) const;
  void end_epoch(TrainingReport& report, RunTotals& run, const EpochSums& sums);
  StepOutcome train_step(int64_t steps_per_epoch, double lr);
  void train_micro_batch(int k, int64_t steps_per_epoch, StepOutcome& outcome);
  void update(double lr, StepOutcome& outcome);
  std::vector<StepReport> exchange_reports(const StepOutcome& outcome);
  std::string save_checkpoint_now();
  void write_timeline();

  TrainOptions options_;
  Sequential& model_;
  SampleSource& train_;
  SampleSource* val_;
  Communicator& comm_;
  Device device_;  // where the model computes
  std::unique_ptr<BatchUploader> uploader_;  // each batch to device_
  Sgd sgd_;
  LrSchedule schedule_;
  DataParallel data_parallel_;
  Checkpointer checkpointer_;
  SoftmaxCrossEntropy loss_;
  TrainingPosition position_;
  std::unique_ptr<Loader> train_loader_;
  std::unique_ptr<Evaluator> evaluator_;
  std::unique_ptr<Timeline> timeline_;  // with --timeline
  AnomalyPolicy anomaly_;
  ParameterCheck parameter_check_;  // the ranks' parameters compared (epoch ends, checkpoints, --check-every)
  bool resumed_ = false;
};

}  // namespace convoy
