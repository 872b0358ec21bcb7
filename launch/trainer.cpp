#include "launch/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "data_pipeline/sampler.h"
#include "io/metrics_writer.h"
#include "io/progress.h"
#include "launch/stop_signal.h"
#include "core/threads.h"
#include "nn/init.h"

namespace convoy {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

LrScheduleOptions schedule_options(const TrainOptions& o) {
  LrScheduleOptions s;
  s.kind = o.lr_schedule;
  s.base_lr = o.lr;
  s.warmup_epochs = o.warmup_epochs;
  s.gamma = o.lr_gamma;
  s.step_size = o.lr_step_size;
  s.milestones = o.lr_milestones;
  s.total_epochs = o.epochs;
  s.min_lr = o.min_lr;
  s.patience = o.lr_patience;
  return s;
}

void remove_old_checkpoints(const std::string& dir, int64_t keep) {
  if (keep <= 0) return;
  std::vector<std::filesystem::path> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("checkpoint-step-", 0) == 0 && entry.path().extension() == ".h5")
      found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  for (size_t i = 0; i + static_cast<size_t>(keep) < found.size(); ++i)
    std::filesystem::remove(found[i], ec);
}

}  // namespace

Trainer::Trainer(TrainOptions options, Sequential& model, SampleSource& train, SampleSource* val)
    : options_(std::move(options)),
      model_(model),
      train_(train),
      val_(val),
      sgd_(model.parameters(), SgdOptions{options_.momentum, options_.weight_decay, options_.decay_biases}),
      schedule_(schedule_options(options_)) {
  initialize_parameters(model_.parameters(), parse_init_scheme(options_.init), options_.seed);
  position_.seed = options_.seed;
  position_.model = options_.model;
  position_.options_json = options_.to_json().dump();
  if (val_) {
    const int64_t eval_batch = options_.eval_batch_size > 0 ? options_.eval_batch_size : options_.batch_size;
    val_loader_ = std::make_unique<Loader>(*val_, eval_batch, options_.workers, 2);
  }
}

void Trainer::load(const std::string& path, bool with_optimizer_state) {
  const TrainingPosition loaded =
      load_checkpoint(path, model_.parameters(), with_optimizer_state ? &sgd_.velocities() : nullptr);
  if (loaded.model != options_.model)
    CONVOY_USER_ERROR("checkpoint '", path, "' holds a ", loaded.model, ", not a ", options_.model);
  if (with_optimizer_state) {
    if (loaded.seed != options_.seed)
      std::cerr << "note: resuming with the checkpoint's seed " << loaded.seed << " (not "
                << options_.seed << ")\n";
    position_.epoch = loaded.epoch;
    position_.batch_in_epoch = loaded.batch_in_epoch;
    position_.global_step = loaded.global_step;
    position_.seed = options_.seed = loaded.seed;
    position_.options_json = options_.to_json().dump();
    schedule_.set_state(loaded.schedule);
  }
}

void Trainer::train_step(const LoadedBatch& batch, double lr, double& loss, int64_t& correct) {
  StepContext ctx;
  ctx.training = true;
  ctx.seed = position_.seed;
  ctx.step = static_cast<uint64_t>(position_.global_step);
  ctx.sample_ids = batch.ids;
  const Tensor& logits = model_.forward(batch.images, ctx);
  loss = loss_.forward(logits, batch.labels);
  correct = count_top_k_correct(loss_.probabilities(), batch.labels, 1);
  model_.backward(loss_.grad_logits(), false, {});
  sgd_.step(lr);
}

EvalResult Trainer::evaluate() {
  EvalResult result;
  CONVOY_CHECK(val_ && val_loader_, "evaluation without validation data");
  double loss_sum = 0;
  int64_t top1 = 0, top5 = 0;
  StepContext ctx;  // evaluation: no dropout
  val_loader_->start(sequential_order(val_->size()), 0, 0, true);
  const int64_t crops = std::max(1, options_.eval_crops);
  const Shape sample = val_->sample_shape();
  CONVOY_CHECK(sample[0] % crops == 0, "validation samples of ", sample.to_string(), " do not hold ", crops, " crops");
  while (const LoadedBatch* batch = val_loader_->next()) {
    const int64_t n = static_cast<int64_t>(batch->labels.size());
    if (crops == 1) {
      const Tensor& logits = model_.forward(batch->images, ctx);
      loss_sum += loss_.forward(logits, batch->labels) * static_cast<double>(n);
      top1 += count_top_k_correct(logits, batch->labels, 1);
      top5 += count_top_k_correct(logits, batch->labels, 5);
      continue;
    }
    // Multi-crop (AlexNet's 10-crop): the crops of a sample are consecutive rows;
    // their softmax probabilities are averaged.
    const Tensor crops_view = batch->images.view(Shape{n * crops, sample[0] / crops, sample[1], sample[2]});
    crop_labels_.resize(static_cast<size_t>(n * crops));
    for (int64_t i = 0; i < n * crops; ++i) crop_labels_[static_cast<size_t>(i)] = batch->labels[static_cast<size_t>(i / crops)];
    loss_sum += loss_.forward(model_.forward(crops_view, ctx), crop_labels_) * static_cast<double>(n);
    const Tensor& p = loss_.probabilities();
    const int64_t classes = p.dim(1);
    averaged_.ensure_shape(Shape{n, classes});
    averaged_.fill(0.0f);
    for (int64_t i = 0; i < n * crops; ++i)
      for (int64_t c = 0; c < classes; ++c)
        averaged_.data()[(i / crops) * classes + c] += p.data()[i * classes + c] / static_cast<float>(crops);
    top1 += count_top_k_correct(averaged_, batch->labels, 1);
    top5 += count_top_k_correct(averaged_, batch->labels, 5);
  }
  result.count = val_->size();
  if (result.count > 0) {
    result.loss = loss_sum / static_cast<double>(result.count);
    result.top1 = static_cast<double>(top1) / static_cast<double>(result.count);
    result.top5 = static_cast<double>(top5) / static_cast<double>(result.count);
  }
  return result;
}

std::string Trainer::save_checkpoint_now() {
  if (options_.checkpoint_dir.empty()) return "";
  position_.schedule = schedule_.state();
  const std::string path = checkpoint_path(options_.checkpoint_dir, position_.global_step);
  save_checkpoint(path, model_.parameters(), sgd_.velocities(), position_);
  remove_old_checkpoints(options_.checkpoint_dir, options_.keep_checkpoints);
  return path;
}

int Trainer::run() {
  install_stop_handlers();
  const int64_t batch = options_.batch_size;
  const int64_t steps_per_epoch = train_.size() / batch;  // the tail is dropped: equal steps every epoch
  if (steps_per_epoch < 1)
    CONVOY_USER_ERROR("the training set has ", train_.size(), " samples, fewer than one batch of ", batch);
  // Built here, not in the constructor: --evaluate never trains, and its
  // source must not be shared by two loaders.
  if (!train_loader_) train_loader_ = std::make_unique<Loader>(train_, batch, options_.workers, 2);
  MetricsWriter metrics;
  if (!options_.metrics.empty()) metrics = MetricsWriter(options_.metrics, position_.global_step > 0);

  std::printf("training %s: %lld samples, batch %lld, %lld steps/epoch, epochs %lld-%lld, threads %d\n",
              options_.model.c_str(), static_cast<long long>(train_.size()),
              static_cast<long long>(batch), static_cast<long long>(steps_per_epoch),
              static_cast<long long>(position_.epoch + 1), static_cast<long long>(options_.epochs),
              compute_threads());
  std::fflush(stdout);

  const auto run_start = Clock::now();
  EvalResult last_val;
  double best_top1 = 0;
  int64_t images_trained = 0;
  std::vector<nlohmann::json> epoch_rows;
  while (position_.epoch < options_.epochs) {
    const int64_t epoch = position_.epoch;
    train_loader_->start(shuffled_order(train_.size(), position_.seed, epoch), epoch,
                         position_.batch_in_epoch, false);
    ProgressBar progress("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(options_.epochs),
                         steps_per_epoch, options_.log_every);
    const auto epoch_start = Clock::now();
    double loss_sum = 0;
    int64_t correct_sum = 0, seen = 0;
    for (; position_.batch_in_epoch < steps_per_epoch; ++position_.batch_in_epoch) {
      const int64_t b = position_.batch_in_epoch;
      const bool out_of_steps = options_.max_steps > 0 && position_.global_step >= options_.max_steps;
      if (stop_requested() || out_of_steps) {
        progress.finish();
        const std::string path = save_checkpoint_now();
        std::printf("%s at step %lld%s%s\n",
                    out_of_steps ? "reached --max-steps" : (std::string("stopped by ") + signal_name(stop_requested())).c_str(),
                    static_cast<long long>(position_.global_step),
                    path.empty() ? "" : "; checkpoint written to ", path.c_str());
        return 0;
      }
      const LoadedBatch* loaded = train_loader_->next();
      CONVOY_CHECK(loaded && loaded->index == b, "the loader is out of step at batch ", b);
      const double data_ms = train_loader_->last_wait_ms();
      const auto compute_start = Clock::now();
      const double lr = schedule_.lr(static_cast<double>(epoch) + static_cast<double>(b) / steps_per_epoch);
      double loss = 0;
      int64_t correct = 0;
      train_step(*loaded, lr, loss, correct);
      const auto step_end = Clock::now();
      if (!std::isfinite(loss))
        CONVOY_USER_ERROR("the loss became ", loss, " at step ", position_.global_step,
                          ": training diverged (try a lower --lr)");
      ++position_.global_step;
      loss_sum += loss * static_cast<double>(batch);
      correct_sum += correct;
      seen += batch;
      images_trained += batch;

      const double compute_ms = std::chrono::duration<double, std::milli>(step_end - compute_start).count();
      const double images_per_sec = static_cast<double>(batch) * 1000.0 / (data_ms + compute_ms);
      char status[128];
      std::snprintf(status, sizeof status, "loss %.4f  lr %.4g  %.0f img/s", loss, lr, images_per_sec);
      progress.update(b + 1, status);
      if (metrics.enabled() && position_.global_step % options_.log_every == 0) {
        metrics.write_line(nlohmann::json{{"kind", "step"}, {"epoch", epoch + 1},
                                          {"step", position_.global_step}, {"loss", loss}, {"lr", lr},
                                          {"images_per_sec", images_per_sec},
                                          {"seconds", seconds_since(run_start)},
                                          {"data_ms", data_ms}, {"compute_ms", compute_ms}}
                               .dump());
      }
    }
    progress.finish();
    const double train_seconds = seconds_since(epoch_start);
    const double train_loss = seen ? loss_sum / static_cast<double>(seen) : 0.0;
    const double train_acc = seen ? static_cast<double>(correct_sum) / static_cast<double>(seen) : 0.0;
    if (val_) {
      last_val = evaluate();
      best_top1 = std::max(best_top1, last_val.top1);
      schedule_.end_epoch(1.0 - last_val.top1);
    }
    const double epoch_seconds = seconds_since(epoch_start);
    std::printf("epoch %lld/%lld  train_loss %.4f  train_acc %.2f%%  val_acc %s  val_top5 %s  time %.1fs (%.0f img/s)\n",
                static_cast<long long>(epoch + 1), static_cast<long long>(options_.epochs), train_loss,
                100.0 * train_acc, val_? (std::to_string(100.0 * last_val.top1).substr(0, 5) + "%").c_str() : "-",
                val_ ? (std::to_string(100.0 * last_val.top5).substr(0, 5) + "%").c_str() : "-",
                epoch_seconds, seen / std::max(train_seconds, 1e-9));
    std::fflush(stdout);
    nlohmann::json row{{"kind", "epoch"}, {"epoch", epoch + 1}, {"step", position_.global_step},
                       {"train_loss", train_loss}, {"train_acc", train_acc},
                       {"val_acc", val_ ? nlohmann::json(last_val.top1) : nlohmann::json()},
                       {"val_top5", val_ ? nlohmann::json(last_val.top5) : nlohmann::json()},
                       {"seconds", epoch_seconds}};
    metrics.write_line(row.dump());
    epoch_rows.push_back(row);
    ++position_.epoch;  // the checkpoint records the next epoch to run
    position_.batch_in_epoch = 0;
    save_checkpoint_now();
  }

  const double total = seconds_since(run_start);
  std::printf("\n%-8s %-12s %-10s %-10s %-10s %-8s\n", "epoch", "train_loss", "train_acc", "val_acc",
              "val_top5", "seconds");
  for (const auto& row : epoch_rows) {
    auto pct = [](const nlohmann::json& v) {
      return v.is_null() ? std::string("-") : std::to_string(100.0 * v.get<double>()).substr(0, 5) + "%";
    };
    std::printf("%-8lld %-12.4f %-10s %-10s %-10s %-8.1f\n", row["epoch"].get<long long>(),
                row["train_loss"].get<double>(), pct(row["train_acc"]).c_str(), pct(row["val_acc"]).c_str(),
                pct(row["val_top5"]).c_str(), row["seconds"].get<double>());
  }
  std::printf("done: %lld steps, %.1f s, %.0f img/s training", static_cast<long long>(position_.global_step),
              total, images_trained / std::max(total, 1e-9));
  if (val_) std::printf(", final val_acc %.2f%%, best %.2f%%", 100.0 * last_val.top1, 100.0 * best_top1);
  std::printf("\n");
  return 0;
}

}  // namespace convoy
