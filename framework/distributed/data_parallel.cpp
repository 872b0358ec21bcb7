#include "distributed/data_parallel.h"

#include "core/error.h"
#include "backend/backend.h"

namespace convoy {

DataParallel::DataParallel(Module& model, Sgd& optimizer, Communicator& comm, DataParallelOptions options)
    : model_(model),
      optimizer_(optimizer),
      comm_(comm),
      options_(options),
      reducer_(model.parameters(), comm, options.reducer) {
  CONVOY_CHECK(options.accumulate_steps >= 1, "accumulate_steps must be >= 1, got ", options.accumulate_steps);
  CONVOY_CHECK(optimizer.parameters() == model.parameters(), "the optimizer does not hold the model's parameters");
  context_.on_ready = [this](Parameter& p) { reducer_.mark_ready(p); };
}

void DataParallel::broadcast_parameters(bool with_optimizer_state) {
  const std::vector<Parameter*> parameters = model_.parameters();
  for (size_t i = 0; i < parameters.size(); ++i) {
    Tensor& value = parameters[i]->value;
    comm_.broadcast(value.device_data(), value.numel() * 4, 0, "broadcast of " + parameters[i]->name);
    if (with_optimizer_state) {
      Tensor& velocity = optimizer_.velocities()[i];
      comm_.broadcast(velocity.device_data(), velocity.numel() * 4, 0, "broadcast of the momentum of " + parameters[i]->name);
    }
  }
}

void DataParallel::backward(const Tensor& dy) {
  CONVOY_CHECK(micro_batch_ < options_.accumulate_steps, "backward() called ", micro_batch_ + 1,
               " times before step(); accumulate_steps is ", options_.accumulate_steps);
  const bool last = micro_batch_ + 1 == options_.accumulate_steps;
  reducer_.begin_backward(last);
  context_.accumulate = micro_batch_ > 0;
  model_.backward(dy, false, context_);
  ++micro_batch_;
}

void DataParallel::step(double lr) {
  finish_gradients();
  apply(lr);
}

void DataParallel::finish_gradients() {
  CONVOY_CHECK(micro_batch_ == options_.accumulate_steps, "the step's gradients finished after ", micro_batch_,
               " backward() calls; expected ", options_.accumulate_steps);
  CONVOY_CHECK(!gradients_ready_, "finish_gradients() twice in one step");
  last_wait_ms_ = reducer_.finish();
  gradients_ready_ = true;
}

const Parameter* DataParallel::first_non_finite_gradient() const {
  CONVOY_CHECK(gradients_ready_, "gradients inspected before finish_gradients()");
  // One scan of the flat buffer, laid out in backward order: the first bad
  // element lies in the first bad parameter.
  const Tensor& all = reducer_.flat();
  const int64_t first = backend_for(all.device()).first_non_finite(all);
  if (first < 0) return nullptr;
  for (const GradientBucket& bucket : reducer_.buckets())
    for (const Parameter* p : bucket.parameters) {
      const int64_t offset = p->grad.device_data() - all.device_data();
      if (first >= offset && first < offset + p->grad.numel()) return p;
    }
  CONVOY_THROW("non-finite gradient element ", first, " lies in no parameter's gradient");
}

void DataParallel::apply(double lr) {
  CONVOY_CHECK(gradients_ready_, "apply() before finish_gradients()");
  optimizer_.step(lr, 1.0 / (static_cast<double>(comm_.size()) * options_.accumulate_steps));
  micro_batch_ = 0;
  gradients_ready_ = false;
}

void DataParallel::skip() {
  CONVOY_CHECK(gradients_ready_, "skip() before finish_gradients()");
  micro_batch_ = 0;
  gradients_ready_ = false;
}

}  // namespace convoy
