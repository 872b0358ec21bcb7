// DataParallel: one model replica per rank trained as one model, as PyTorch's
// DistributedDataParallel wraps a module. Each rank runs forward on its own
// micro-batch and calls backward(); the gradients of the step's last
// micro-batch are all-reduced in buckets while backward runs; step() waits for
// them and updates with their mean over ranks and micro-batches (docs/models.md).
//
//   DataParallel ddp(model, sgd, comm, {.accumulate_steps = 2});
//   ddp.broadcast_parameters(false);        // every rank starts from rank 0's weights
//   for (each step) {
//     for (int k = 0; k < 2; ++k) {          // each rank's micro-batches
//       loss.forward(model.forward(x[k], ctx), labels[k]);
//       ddp.backward(loss.grad_logits());
//     }
//     ddp.step(lr);
//   }
#pragma once

#include <memory>

#include "distributed/communicator.h"
#include "distributed/reducer.h"
#include "nn/module.h"
#include "optim/sgd.h"

namespace convoy {

struct DataParallelOptions {
  ReducerOptions reducer;
  int accumulate_steps = 1;  // micro-batches per optimizer step on each rank
};

class DataParallel {
 public:
  // The optimizer must hold the model's parameters (in the same order).
  DataParallel(Module& model, Sgd& optimizer, Communicator& comm, DataParallelOptions options = {});

  // Copies rank 0's parameters (and, when asked, momentum buffers) to every rank.
  void broadcast_parameters(bool with_optimizer_state);
  // Backward of one micro-batch (dy: gradient of its mean loss w.r.t. the
  // model's output). Gradients of a step's micro-batches add up in the buckets.
  void backward(const Tensor& dy);
  // After accumulate_steps backward() calls: waits for the all-reduce, then
  // SGD with the gradients divided by (ranks x accumulate_steps).
  void step(double lr);

  // step() in two halves, with a look at the gradients between them:
  // finish_gradients() waits for the all-reduce; the summed gradients are then
  // the same on every rank, so every rank decides alike (no communication)
  // whether to apply(lr) them or skip() the update.
  void finish_gradients();
  // The first parameter, in the order backward computes them (from the output
  // back), whose summed gradient holds a NaN or an infinity; nullptr if none.
  const Parameter* first_non_finite_gradient() const;
  void apply(double lr);
  void skip();  // drops this step's gradients; the next backward starts afresh

  // Milliseconds the last step() waited for communication (the exposed part).
  double last_wait_ms() const { return last_wait_ms_; }
  // Micro-batches already back-propagated in the current step.
  int micro_batches_done() const { return micro_batch_; }
  int accumulate_steps() const { return options_.accumulate_steps; }
  Communicator& communicator() { return comm_; }
  Reducer& reducer() { return reducer_; }

 private:
  Module& model_;
  Sgd& optimizer_;
  Communicator& comm_;
  DataParallelOptions options_;
  Reducer reducer_;
  BackwardContext context_;
  int micro_batch_ = 0;
  bool gradients_ready_ = false;
  double last_wait_ms_ = 0;
};

}  // namespace convoy
