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
  s.base_lr = o.lr_scaling == "linear" ? o.lr * static_cast<double>(global_batch) / static_cast<double>(o.lr_base_batch)
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
  p.reducer.wire = o.grad_compression == "bf16" ? DataType::kBFloat16 : DataType::kFloat32;
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
      checkpointer_(options_, comm_) {
  initialize_parameters(model_.parameters(), parse_init_scheme(options_.init), options_.seed);
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
  if (loaded.epoch < 0 || loaded.batch_in_epoch < 0 || loaded.global_step < 0 || loaded.global_batch < 0 ||
      loaded.train_samples < 0)
    throw JobError("checkpoint '" + path + "' is damaged: its position (epoch " + std::to_string(loaded.epoch) +
                   ", batch " + std::to_string(loaded.batch_in_epoch) + ", step " + std::to_string(loaded.global_step) +
                   ") is impossible");
  // The position counts batches of one global batch through one training set:
  // with either changed it would name other samples.
  std::string changed;
  if (loaded.global_batch != 0 && loaded.global_batch != position_.global_batch)
    changed = "was written at a global batch of " + std::to_string(loaded.global_batch) +
              " images per step, this run's is " + std::to_string(position_.global_batch) +
              " (--batch-size x ranks x --accumulate-steps; any rank count at the same global batch resumes exactly)";
  else if (loaded.train_samples != 0 && loaded.train_samples != position_.train_samples)
    changed = "was written for a training set of " + std::to_string(loaded.train_samples) +
              " samples, this run's (--data) has " + std::to_string(position_.train_samples);
  if (!changed.empty() && !options_.resume_reset_position)
    throw JobError("checkpoint '" + path + "' " + changed +
                   ": its position would name other samples. Resume with the same settings, or add "
                   "--resume-reset-position to keep its weights and start its epoch over.");
  if (!changed.empty()) {
    say("note: checkpoint '%s' %s; --resume-reset-position: starting epoch %lld over\n", path.c_str(),
        changed.c_str(), static_cast<long long>(loaded.epoch + 1));
    loaded.batch_in_epoch = 0;
  }
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

Trainer::StepOutcome Trainer::train_step(int64_t steps_per_epoch, double lr) {
  StepOutcome outcome;
  const int k_steps = options_.accumulate_steps;
  for (int k = 0; k < k_steps; ++k) {
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
  const auto t4 = Clock::now();
  data_parallel_.finish_gradients();
  // The summed gradients are the same on every rank: every rank decides alike.
  if (const Parameter* bad = data_parallel_.first_non_finite_gradient()) {
    char lr_text[32];
    std::snprintf(lr_text, sizeof lr_text, "%.4g", lr);
    if (options_.anomaly == "stop")
      throw JobError("training diverged at step " + std::to_string(position_.global_step) + ": the gradient of " +
                     bad->name + " is not finite (NaN or infinity), learning rate " + lr_text +
                     "; no update was made and the last checkpoint is kept (lower --lr, or --anomaly skip)");
    data_parallel_.skip();
    outcome.skipped = true;
    ++skipped_steps_;
    if (++skipped_in_a_row_ >= options_.max_skipped)
      throw JobError("training diverged: " + std::to_string(skipped_in_a_row_) +
                     " steps in a row had non-finite gradients (the last at step " +
                     std::to_string(position_.global_step) + ", first in " + bad->name + ", learning rate " + lr_text +
                     "; --max-skipped " + std::to_string(options_.max_skipped) + "); the last checkpoint is kept");
    if (comm_.rank() == 0)
      say("step %lld skipped: the gradient of %s is not finite (learning rate %s)\n",
          static_cast<long long>(position_.global_step), bad->name.c_str(), lr_text);
  } else {
    data_parallel_.apply(lr);
    skipped_in_a_row_ = 0;
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

int Trainer::run() {
  install_stop_handlers();
  const int world = comm_.size();
  const int64_t micro_batch = options_.batch_size, global_batch = position_.global_batch;
  // Each rank reads its shard of every epoch; the tail that does not fill a
  // global batch is dropped, so every rank takes the same number of steps.
  const int64_t steps_per_epoch = train_.size() / world / (micro_batch * options_.accumulate_steps);
  if (steps_per_epoch < 1)
    throw JobError("the training set has " + std::to_string(train_.size()) + " samples, fewer than one global batch of " +
                   std::to_string(global_batch) + " (--batch-size x ranks x --accumulate-steps)");
  // Built here, not in the constructor: --evaluate never trains, and its
  // source must not be shared by two loaders.
  if (!train_loader_) train_loader_ = make_feeding_loader(train_, micro_batch, options_.workers, 2, *uploader_);
  if (position_.batch_in_epoch > steps_per_epoch)
    throw JobError("the resumed position (batch " + std::to_string(position_.batch_in_epoch) + " of epoch " +
                   std::to_string(position_.epoch + 1) + ") lies beyond the epoch's " + std::to_string(steps_per_epoch) +
                   " steps: the checkpoint is damaged or was written for other data");
  TrainingReport report(options_, comm_.rank() == 0, resumed_ && position_.global_step > 0);
  char line[768];
  std::snprintf(line, sizeof line,
                "training %s: %lld samples, %d rank%s x batch %lld x %d accumulation step%s = global batch %lld, "
                "%lld steps/epoch, epochs %lld-%lld, lr %.4g, on %s (%s input), %d thread%s per rank",
                options_.model.c_str(), static_cast<long long>(train_.size()), world, world == 1 ? "" : "s",
                static_cast<long long>(micro_batch), options_.accumulate_steps,
                options_.accumulate_steps == 1 ? "" : "s", static_cast<long long>(global_batch),
                static_cast<long long>(steps_per_epoch), static_cast<long long>(position_.epoch + 1),
                static_cast<long long>(options_.epochs), schedule_.options().base_lr,
                backend_for(device_).name().c_str(), feed_name(*train_loader_), compute_threads(),
                compute_threads() == 1 ? "" : "s");
  report.start_run(line);

  const auto run_start = Clock::now();
  double best_top1 = 0;
  int64_t images_trained = 0;
  int agreed_stop = 0;  // a stop signal some rank saw, agreed in the last step report
  while (position_.epoch < options_.epochs) {
    const int64_t epoch = position_.epoch;
    train_loader_->start(distributed_order(train_.size(), comm_.rank(), world, true, position_.seed, epoch, true),
                         epoch, position_.batch_in_epoch * options_.accumulate_steps, false);
    report.start_epoch(epoch, steps_per_epoch);
    const auto epoch_start = Clock::now();
    double loss_sum = 0;
    int64_t correct_sum = 0, seen = 0;
    for (; position_.batch_in_epoch < steps_per_epoch; ++position_.batch_in_epoch) {
      const int64_t b = position_.batch_in_epoch;
      const bool out_of_steps = options_.max_steps > 0 && position_.global_step >= options_.max_steps;
      if (agreed_stop || out_of_steps) {
        report.interrupt();
        const std::string path = save_checkpoint_now();
        say("%s at step %lld%s%s\n",
            out_of_steps ? "reached --max-steps" : (std::string("stopped by ") + signal_name(agreed_stop)).c_str(),
            static_cast<long long>(position_.global_step), path.empty() ? "" : "; checkpoint written to ",
            path.c_str());
        write_timeline();
        return 0;
      }
      comm_.set_step(position_.global_step);
      const double lr = schedule_.lr(static_cast<double>(epoch) + static_cast<double>(b) / steps_per_epoch);
      const auto step_start = Clock::now();
      const StepOutcome outcome = train_step(steps_per_epoch, lr);
      const std::vector<StepReport> reports = exchange_reports(outcome);
      const double step_ms = ms_between(step_start, Clock::now());
      ++position_.global_step;

      StepFigures f;
      f.epoch = epoch;
      f.batch_in_epoch = b;
      f.global_step = position_.global_step;
      f.lr = lr;
      f.data_ms = outcome.data_ms;
      f.compute_ms = outcome.compute_ms;
      f.allreduce_ms = outcome.allreduce_ms;
      f.images_per_sec = static_cast<double>(global_batch) * 1000.0 / step_ms;
      f.seconds = std::chrono::duration<double>(Clock::now() - run_start).count();
      int64_t correct = 0;
      f.compute_min_ms = f.compute_max_ms = reports[0].compute_ms;
      for (size_t r = 0; r < reports.size(); ++r) {
        f.loss += reports[r].loss / static_cast<double>(reports.size());
        correct += reports[r].correct;
        if (!agreed_stop) agreed_stop = reports[r].stop_signal;
        if (reports[r].compute_ms < f.compute_min_ms) f.compute_min_ms = reports[r].compute_ms, f.fastest_rank = static_cast<int>(r);
        if (reports[r].compute_ms > f.compute_max_ms) f.compute_max_ms = reports[r].compute_ms, f.slowest_rank = static_cast<int>(r);
      }
      f.skipped = outcome.skipped;
      f.skipped_steps = skipped_steps_;
      if (f.skipped) {  // nothing learned: not counted in the epoch's figures
        report.step(f);
        continue;
      }
      if (!std::isfinite(f.loss))
        throw JobError("the loss became " + std::to_string(f.loss) + " at step " + std::to_string(position_.global_step - 1) +
                       ": training diverged (try a lower --lr)");
      loss_sum += f.loss * static_cast<double>(global_batch);
      correct_sum += correct;
      seen += global_batch;
      images_trained += global_batch;
      report.step(f);
    }
    const double train_seconds = std::chrono::duration<double>(Clock::now() - epoch_start).count();
    EpochFigures e;
    e.epoch = epoch;
    e.global_step = position_.global_step;
    e.train_loss = seen ? loss_sum / static_cast<double>(seen) : 0.0;
    e.train_acc = seen ? static_cast<double>(correct_sum) / static_cast<double>(seen) : 0.0;
    e.images_per_sec = static_cast<double>(seen) / std::max(train_seconds, 1e-9);
    if (evaluator_) {
      const EvalResult val = evaluate();
      e.has_val = true;
      e.val_acc = val.top1;
      e.val_top5 = val.top5;
      best_top1 = std::max(best_top1, val.top1);
      schedule_.end_epoch(1.0 - val.top1);
    }
    e.seconds = std::chrono::duration<double>(Clock::now() - epoch_start).count();
    report.end_epoch(e);
    ++position_.epoch;  // the checkpoint records the next epoch to run
    position_.batch_in_epoch = 0;
    save_checkpoint_now();
  }
  const double total = std::chrono::duration<double>(Clock::now() - run_start).count();
  report.finish(position_.global_step, total, static_cast<double>(images_trained) / std::max(total, 1e-9),
                evaluator_ != nullptr, best_top1);
  write_timeline();
  return 0;
}

}  // namespace convoy
