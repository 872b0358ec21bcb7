// Evaluation on the validation source, sharded over the ranks: each rank
// evaluates every world-th sample (the shard padded to equal length, as
// distributed_order pads it), padded duplicates are not counted, and the sums
// are combined on every rank. Multi-crop (AlexNet's 10-crop) averages the
// softmax of a sample's crops.
#pragma once

#include <memory>
#include <vector>

#include "backend/batch_uploader.h"
#include "data_pipeline/loader.h"
#include "data_pipeline/sample_source.h"
#include "distributed/communicator.h"
#include "launch/trainer/train_options.h"
#include "nn/loss.h"
#include "nn/sequential.h"

namespace convoy {

struct EvalResult {
  double loss = 0, top1 = 0, top5 = 0;  // accuracies in [0, 1]
  int64_t count = 0;
};

class Evaluator {
 public:
  Evaluator(SampleSource& source, const TrainOptions& options, Communicator& comm);
  // Collective: every rank calls it.
  EvalResult evaluate(Sequential& model);

 private:
  // One rank's sums, gathered from every rank at the end.
  struct Sums {
    double loss = 0;
    int64_t top1 = 0, top5 = 0, count = 0;
  };
  void ensure_loader(Device device);
  // Adds one batch of n samples (their images and labels) to `sums`.
  void score_batch(Sequential& model, const Tensor& images, std::span<const int32_t> labels, Sums& sums);
  void score_crops(Sequential& model, const Tensor& images, std::span<const int32_t> labels, Sums& sums);
  EvalResult combine(const Sums& mine);

  SampleSource& source_;
  Communicator& comm_;
  int crops_;
  int64_t batch_size_;
  int workers_;
  std::unique_ptr<Loader> loader_;  // made with the uploader, to suit it
  SoftmaxCrossEntropy loss_;
  std::vector<int32_t> crop_labels_;
  Tensor averaged_;
  std::unique_ptr<BatchUploader> uploader_;  // batches to the model's device
  Device uploader_device_;
  Tensor host_probabilities_;  // multi-crop averaging of a model on a device
};

}  // namespace convoy
