// The training loop shared by train_lenet and train_alexnet: epochs of shuffled
// batches, SGD with a schedule, evaluation after each epoch, progress, JSON-lines
// metrics, atomic checkpoints (each epoch, at --max-steps, on SIGINT/SIGTERM)
// and exact resume.
#pragma once

#include <memory>
#include <string>

#include "data_pipeline/loader.h"
#include "data_pipeline/sample_source.h"
#include "io/checkpoint.h"
#include "launch/train_options.h"
#include "nn/loss.h"
#include "nn/sequential.h"
#include "optim/lr_schedule.h"
#include "optim/sgd.h"

namespace convoy {

struct EvalResult {
  double loss = 0, top1 = 0, top5 = 0;  // accuracies in [0, 1]
  int64_t count = 0;
};

class Trainer {
 public:
  // val may be null (no evaluation).
  Trainer(TrainOptions options, Sequential& model, SampleSource& train, SampleSource* val);

  // Trains to --epochs (or --max-steps, or a stop signal); returns the exit code.
  int run();
  EvalResult evaluate();  // on the validation source
  // Loads parameters (and optimizer state when resuming) from a checkpoint.
  void load(const std::string& path, bool with_optimizer_state);

  Sgd& optimizer() { return sgd_; }
  int64_t global_step() const { return position_.global_step; }

 private:
  void train_step(const LoadedBatch& batch, double lr, double& loss, int64_t& correct);
  std::string save_checkpoint_now();

  TrainOptions options_;
  Sequential& model_;
  SampleSource& train_;
  SampleSource* val_;
  std::unique_ptr<Loader> train_loader_, val_loader_;
  std::vector<int32_t> crop_labels_;  // multi-crop evaluation scratch
  Tensor averaged_;
  Sgd sgd_;
  LrSchedule schedule_;
  SoftmaxCrossEntropy loss_;
  TrainingPosition position_;
};

}  // namespace convoy
