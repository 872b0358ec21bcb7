#include "launch/trainer/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "backend/backend.h"
#include "core/error.h"
#include "core/threads.h"
#include "data_pipeline/sampler.h"
#include "distributed/agreement.h"
#include "formats/json_text.h"
#include "launch/trainer/batch_feed.h"
#include "launch/trainer/console.h"
#include "launch/trainer/stop_signal.h"
#include "nn/init.h"

namespace convoy {

namespace {

using Clock = std::chrono::steady_clock;
double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

int64_t global_batch_of(const TrainOptions& o, const Communicator& comm) {
  return o.batch_size * comm.size() * o.accumulate_steps;
}

LrScheduleOptions schedule_options(const TrainOptions& o, int64_t global_batch) {
  LrScheduleOptions s;
  s.kind = o.lr_schedule;
  s.base_lr = o.lr_scaling == LrScaling::kLinear ? o.lr * static_cast<double>(global_batch) / static_cast<double>(o.lr_base_batch)
                                       : o.lr;
  s.warmup_epochs = o.warmup_epochs;
  s.gamma = o.lr_gamma;
  s.step_size = o.lr_step_size;
  s.milestones = o.lr_milestones;
  s.total_epochs = o.epochs;
  s.min_lr = o.min_lr;
  s.patience = o.lr_patience;
  return s;
}

DataParallelOptions parallel_options(const TrainOptions& o) {
  DataParallelOptions p;
  p.reducer.bucket_bytes = static_cast<int64_t>(o.bucket_mb * (1 << 20));
  p.reducer.overlap = !o.no_overlap;
  p.reducer.wire = o.grad_compression == GradCompression::kBf16 ? DataType::kBFloat16 : DataType::kFloat32;
  p.accumulate_steps = o.accumulate_steps;
  return p;
}

// Marks an error text broadcast in place of a checkpoint position.
constexpr char kErrorMark = '\x01';

}  // namespace

Trainer::Trainer(TrainOptions options, Sequential& model, SampleSource& train, SampleSource* val, Communicator& comm)
    : options_(std::move(options)),
      model_(model),
      train_(train),
      val_(val),
      comm_(comm),
      device_(model.device()),
      uploader_(make_batch_uploader(device_)),
      sgd_(model.parameters(), SgdOptions{options_.momentum, options_.weight_decay, options_.decay_biases}),
      schedule_(schedule_options(options_, global_batch_of(options_, comm))),
      data_parallel_(model_, sgd_, comm_, parallel_options(options_)),
      checkpointer_(options_, comm_),
      anomaly_(options_.anomaly, options_.max_skipped) {
  initialize_parameters(model_.parameters(), options_.init, options_.seed);
  data_parallel_.broadcast_parameters(false);  // every rank starts from rank 0's weights
  position_.seed = options_.seed;
  position_.model = options_.model;
  position_.global_batch = global_batch_of(options_, comm_);
  position_.train_samples = train_.size();
  position_.options_json = json_text(options_.to_json());
  if (val_) evaluator_ = std::make_unique<Evaluator>(*val_, options_, comm_);
  if (!options_.timeline.empty()) {
    comm_.barrier("timeline start");  // the ranks' rows start together
    timeline_ = std::make_unique<Timeline>(comm_.rank(), Clock::now());
    comm_.set_observer([t = timeline_.get()](const CollectiveRecord& r) {
      t->add(r.label, Timeline::kCommunication, r.start, r.end, r.step);
    });
  }
}

Trainer::~Trainer() {
  if (timeline_) comm_.set_observer(nullptr);
}

void Trainer::load(const std::string& path, bool with_optimizer_state) {
  // Rank 0 reads; the others receive the position (or rank 0's error) and then the tensors.
  std::string message;
  if (comm_.rank() == 0) {
    try {
      const TrainingPosition loaded =
          load_checkpoint(path, model_.parameters(), with_optimizer_state ? &sgd_.velocities() : nullptr);
      if (loaded.model != options_.model)
        CONVOY_USER_ERROR("checkpoint '", path, "' holds a ", loaded.model, ", not a ", options_.model);
      message = position_to_json(loaded);
    } catch (const Error& e) {
      message = kErrorMark + std::string(e.is_user_error() ? e.message() : e.what());
    }
  }
  message = broadcast_string(comm_, message, 0, "broadcast of the checkpoint position");
  if (!message.empty() && message[0] == kErrorMark) throw JobError(message.substr(1));
  TrainingPosition loaded = position_from_json(message);
  data_parallel_.broadcast_parameters(with_optimizer_state);
  if (!with_optimizer_state) return;
  loaded = checkpointer_.check_resumable(loaded, position_, path);
  if (loaded.seed != options_.seed)
    say("note: resuming with the checkpoint's seed %llu (not %llu)\n", static_cast<unsigned long long>(loaded.seed),
        static_cast<unsigned long long>(options_.seed));
  position_.epoch = loaded.epoch;
  position_.batch_in_epoch = loaded.batch_in_epoch;
  position_.global_step = loaded.global_step;
  position_.seed = options_.seed = loaded.seed;
  position_.options_json = json_text(options_.to_json());
  schedule_.set_state(loaded.schedule);
  resumed_ = true;
}

// One micro-batch: load, forward, backward (its gradients join the buckets,
// whose all-reduce starts while backward goes on).
void Trainer::train_micro_batch(int k, int64_t steps_per_epoch, StepOutcome& outcome) {
  const int k_steps = options_.accumulate_steps;
  const auto t0 = Clock::now();
  const LoadedBatch* loaded = train_loader_->next();
  const int64_t expected = position_.batch_in_epoch * k_steps + k;
  CONVOY_CHECK(loaded && loaded->index == expected, "the loader is out of step at micro-batch ", expected, " of ",
               steps_per_epoch * k_steps);
  const auto t1 = Clock::now();
  StepContext ctx;
  ctx.training = true;
  ctx.seed = position_.seed;
  ctx.step = static_cast<uint64_t>(position_.global_step);
  ctx.sample_ids = loaded->ids;
  const Tensor images = upload_batch(*uploader_, *loaded, static_cast<int64_t>(loaded->labels.size()));
  const double loss = loss_.forward(model_.forward(images, ctx), loaded->labels);
  outcome.correct += count_top_k_correct(loss_.probabilities(), loaded->labels, 1);
  const auto t2 = Clock::now();
  data_parallel_.backward(loss_.grad_logits());
  const auto t3 = Clock::now();
  outcome.loss += loss / k_steps;
  outcome.data_ms += ms_between(t0, t1);
  outcome.compute_ms += ms_between(t1, t3);
  if (timeline_) {
    const int64_t step = position_.global_step;
    timeline_->add("data wait", Timeline::kCompute, t0, t1, step);
    timeline_->add("forward", Timeline::kCompute, t1, t2, step);
    timeline_->add("backward", Timeline::kCompute, t2, t3, step);
  }
}

// The update from the summed gradients, or none where they are not finite
// (the anomaly policy decides, alike on every rank).
void Trainer::update(double lr, StepOutcome& outcome) {
  const auto t4 = Clock::now();
  data_parallel_.finish_gradients();
  if (const Parameter* bad = data_parallel_.first_non_finite_gradient()) {
    anomaly_.non_finite(position_.global_step, bad->name, lr);
    data_parallel_.skip();
    outcome.skipped = true;
  } else {
    data_parallel_.apply(lr);
    anomaly_.finite();
  }
  const auto t5 = Clock::now();
  outcome.allreduce_ms = data_parallel_.last_wait_ms();
  outcome.compute_ms += ms_between(t4, t5) - outcome.allreduce_ms;
  if (timeline_) {
    const auto waited = t4 + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double, std::milli>(outcome.allreduce_ms));
    timeline_->add("all-reduce wait", Timeline::kCompute, t4, waited, position_.global_step);
    timeline_->add("optimizer", Timeline::kCompute, waited, t5, position_.global_step);
  }
}

Trainer::StepOutcome Trainer::train_step(int64_t steps_per_epoch, double lr) {
  StepOutcome outcome;
  for (int k = 0; k < options_.accumulate_steps; ++k) train_micro_batch(k, steps_per_epoch, outcome);
  update(lr, outcome);
  return outcome;
}

std::vector<Trainer::StepReport> Trainer::exchange_reports(const StepOutcome& outcome) {
  StepReport mine;
  mine.loss = outcome.loss;
  mine.compute_ms = outcome.compute_ms;
  mine.correct = outcome.correct;
  mine.stop_signal = stop_requested();
  return all_gather_values(comm_, mine, "step report");
}

EvalResult Trainer::evaluate() {
  CONVOY_CHECK(evaluator_, "evaluation without validation data");
  return evaluator_->evaluate(model_);
}

std::string Trainer::save_checkpoint_now() {
  // A model gone non-finite (an update that overflowed) never replaces a good checkpoint.
  const std::vector<Parameter*> parameters = model_.parameters();
  if (comm_.size() > 1)  // nor one that a rank would disagree with
    parameter_check_.require_equal(comm_, parameters, "at step " + std::to_string(position_.global_step));
  for (size_t i = 0; i < parameters.size(); ++i)
    for (const Tensor* t : {&parameters[i]->value, &sgd_.velocities()[i]})
      if (backend_for(t->device()).first_non_finite(*t) >= 0)
        throw JobError("training diverged: " + parameters[i]->name + (t == &parameters[i]->value ? "" : "'s momentum") +
                       " holds a non-finite value at step " + std::to_string(position_.global_step) +
                       "; no checkpoint was written, the last one is kept (lower --lr)");
  position_.schedule = schedule_.state();
  return checkpointer_.save(model_.parameters(), sgd_.velocities(), position_);
}

void Trainer::write_timeline() {
  if (!timeline_) return;
  comm_.flush_reports();  // the last step's collectives too
  const std::vector<std::string> events = comm_.all_gather(timeline_->events_json(), "timeline events");
  if (comm_.rank() != 0) return;
  Timeline::write(options_.timeline, events);
  say("timeline written to %s (open it in https://ui.perfetto.dev or chrome://tracing)\n", options_.timeline.c_str());
}

int64_t Trainer::steps_per_epoch() const {
  // Each rank reads its shard of every epoch; the tail that does not fill a
  // global batch is dropped, so every rank takes the same number of steps.
  const int64_t steps = train_.size() / comm_.size() / (options_.batch_size * options_.accumulate_steps);
  if (steps < 1)
    throw JobError("the training set has " + std::to_string(train_.size()) + " samples, fewer than one global batch of " +
                   std::to_string(position_.global_batch) + " (--batch-size x ranks x --accumulate-steps)");
  if (position_.batch_in_epoch > steps)
    throw JobError("the resumed position (batch " + std::to_string(position_.batch_in_epoch) + " of epoch " +
                   std::to_string(position_.epoch + 1) + ") lies beyond the epoch's " + std::to_string(steps) +
                   " steps: the checkpoint is damaged or was written for other data");
  return steps;
}

// "training alexnet: 20000 samples, 2 ranks x batch 64 x 1 accumulation step = global batch 128, ..."
std::string Trainer::start_line(int64_t steps_per_epoch) const {
  const auto plural = [](int64_t n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); };
  char lr[32];
  std::snprintf(lr, sizeof lr, "%.4g", schedule_.options().base_lr);
  return "training " + options_.model + ": " + std::to_string(train_.size()) + " samples, " +
         plural(comm_.size(), "rank") + " x batch " + std::to_string(options_.batch_size) + " x " +
         plural(options_.accumulate_steps, "accumulation step") + " = global batch " +
         std::to_string(position_.global_batch) + ", " + std::to_string(steps_per_epoch) + " steps/epoch, epochs " +
         std::to_string(position_.epoch + 1) + "-" + std::to_string(options_.epochs) + ", lr " + lr + ", on " +
         backend_for(device_).name() + " (" + feed_name(*train_loader_) + " input), " +
         plural(compute_threads(), "thread") + " per rank";
}

// Before a step: an agreed stop request or --max-steps ends the run here,
// with a checkpoint of this position. True when the run is to end.
bool Trainer::stop_before_step(TrainingReport& report, int agreed_stop) {
  const bool out_of_steps = options_.max_steps > 0 && position_.global_step >= options_.max_steps;
  if (!agreed_stop && !out_of_steps) return false;
  report.interrupt();
  const std::string path = save_checkpoint_now();
  say("%s at step %lld%s%s\n",
      out_of_steps ? "reached --max-steps" : (std::string("stopped by ") + signal_name(agreed_stop)).c_str(),
      static_cast<long long>(position_.global_step), path.empty() ? "" : "; checkpoint written to ", path.c_str());
  write_timeline();
  return true;
}

// One step's figures over all ranks, from their reports.
StepFigures Trainer::step_figures(const StepOutcome& outcome, const std::vector<StepReport>& reports, double lr,
                                  double step_ms, const RunTotals& run) const {
  StepFigures f;
  f.epoch = position_.epoch;
  f.batch_in_epoch = position_.batch_in_epoch;
  f.global_step = position_.global_step;
  f.lr = lr;
  f.data_ms = outcome.data_ms;
  f.compute_ms = outcome.compute_ms;
  f.allreduce_ms = outcome.allreduce_ms;
  f.images_per_sec = static_cast<double>(position_.global_batch) * 1000.0 / step_ms;
  f.seconds = std::chrono::duration<double>(Clock::now() - run.start).count();
  f.compute_min_ms = f.compute_max_ms = reports[0].compute_ms;
  for (size_t r = 0; r < reports.size(); ++r) {
    f.loss += reports[r].loss / static_cast<double>(reports.size());
    if (reports[r].compute_ms < f.compute_min_ms) f.compute_min_ms = reports[r].compute_ms, f.fastest_rank = static_cast<int>(r);
    if (reports[r].compute_ms > f.compute_max_ms) f.compute_max_ms = reports[r].compute_ms, f.slowest_rank = static_cast<int>(r);
  }
  f.skipped = outcome.skipped;
  f.skipped_steps = anomaly_.skipped_steps();
  return f;
}

// One step and its report; the epoch's sums count it unless its update was dropped.
void Trainer::run_step(int64_t steps_per_epoch, TrainingReport& report, RunTotals& run, EpochSums& sums) {
  comm_.set_step(position_.global_step);
  const double lr = schedule_.lr(static_cast<double>(position_.epoch) +
                                 static_cast<double>(position_.batch_in_epoch) / static_cast<double>(steps_per_epoch));
  const auto step_start = Clock::now();
  const StepOutcome outcome = train_step(steps_per_epoch, lr);
  const std::vector<StepReport> reports = exchange_reports(outcome);
  const double step_ms = ms_between(step_start, Clock::now());
  ++position_.global_step;
  const StepFigures f = step_figures(outcome, reports, lr, step_ms, run);
  for (const StepReport& r : reports)
    if (!run.agreed_stop) run.agreed_stop = r.stop_signal;
  if (options_.check_every > 0 && comm_.size() > 1 && position_.global_step % options_.check_every == 0)
    parameter_check_.require_equal(comm_, model_.parameters(), "at step " + std::to_string(position_.global_step));
  if (!f.skipped) {  // a dropped update taught nothing: not counted in the epoch's figures
    if (!std::isfinite(f.loss))
      throw JobError("the loss became " + std::to_string(f.loss) + " at step " +
                     std::to_string(position_.global_step - 1) + ": training diverged (try a lower --lr)");
    sums.loss += f.loss * static_cast<double>(position_.global_batch);
    for (const StepReport& r : reports) sums.correct += r.correct;
    sums.seen += position_.global_batch;
    run.images_trained += position_.global_batch;
  }
  report.step(f);
}

// The epoch's end: its training figures, evaluation (which may move a plateau
// schedule), the report and a checkpoint of the next epoch's start.
void Trainer::end_epoch(TrainingReport& report, RunTotals& run, const EpochSums& sums) {
  const double train_seconds = std::chrono::duration<double>(Clock::now() - sums.start).count();
  EpochFigures e;
  e.epoch = position_.epoch;
  e.global_step = position_.global_step;
  e.train_loss = sums.seen ? sums.loss / static_cast<double>(sums.seen) : 0.0;
  e.train_acc = sums.seen ? static_cast<double>(sums.correct) / static_cast<double>(sums.seen) : 0.0;
  e.images_per_sec = static_cast<double>(sums.seen) / std::max(train_seconds, 1e-9);
  if (evaluator_) {
    const EvalResult val = evaluate();
    e.has_val = true;
    e.val_acc = val.top1;
    e.val_top5 = val.top5;
    run.best_top1 = std::max(run.best_top1, val.top1);
    schedule_.end_epoch(1.0 - val.top1);
  }
  e.seconds = std::chrono::duration<double>(Clock::now() - sums.start).count();
  report.end_epoch(e);
  ++position_.epoch;  // the checkpoint records the next epoch to run
  position_.batch_in_epoch = 0;
  save_checkpoint_now();
}

int Trainer::run() {
  install_stop_handlers();
  const int64_t steps = steps_per_epoch();
  // Built here, not in the constructor: --evaluate never trains, and its
  // source must not be shared by two loaders.
  if (!train_loader_)
    train_loader_ = make_feeding_loader(train_, options_.batch_size, options_.workers, 2, *uploader_);
  TrainingReport report(options_, comm_.rank() == 0, resumed_ && position_.global_step > 0, position_.global_step + 1);
  report.start_run(start_line(steps));
  RunTotals run;
  run.start = Clock::now();
  while (position_.epoch < options_.epochs) {
    train_loader_->start(distributed_order(train_.size(), comm_.rank(), comm_.size(), true, position_.seed,
                                           position_.epoch, true),
                         position_.epoch, position_.batch_in_epoch * options_.accumulate_steps, false);
    report.start_epoch(position_.epoch, steps);
    EpochSums sums;
    sums.start = Clock::now();
    for (; position_.batch_in_epoch < steps; ++position_.batch_in_epoch) {
      if (stop_before_step(report, run.agreed_stop)) return 0;
      run_step(steps, report, run, sums);
    }
    end_epoch(report, run, sums);
  }
  const double total = std::chrono::duration<double>(Clock::now() - run.start).count();
  report.finish(position_.global_step, total, static_cast<double>(run.images_trained) / std::max(total, 1e-9),
                evaluator_ != nullptr, run.best_top1);
  write_timeline();
  return 0;
}

}  // namespace convoy
