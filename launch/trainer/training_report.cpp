#include "launch/trainer/training_report.h"

#include <cstdio>

#include "core/memory.h"
#include "formats/json_text.h"

namespace convoy {

namespace {
std::string percent(const nlohmann::json& value) {
  if (value.is_null()) return "-";
  char text[16];
  std::snprintf(text, sizeof text, "%.2f%%", 100.0 * value.get<double>());
  return text;
}
}  // namespace

TrainingReport::TrainingReport(const TrainOptions& options, bool root, bool resuming, int64_t next_step)
    : options_(options), root_(root) {
  if (root_ && !options_.metrics.empty()) metrics_ = MetricsWriter(options_.metrics, resuming);
  if (root_ && !options_.tensorboard.empty())
    tensorboard_ = TensorBoardWriter(options_.tensorboard, resuming ? next_step : -1);
}

// The TensorBoard scalars of a metrics line: its fields named in `tags` (JSON key, tag), where not null.
void TrainingReport::write_scalars(const nlohmann::json& row, int64_t step,
                                   const std::vector<std::pair<const char*, const char*>>& tags) {
  if (!tensorboard_.enabled()) return;
  std::vector<std::pair<std::string, double>> values;
  for (const auto& [key, tag] : tags)
    if (row.contains(key) && row[key].is_number()) values.emplace_back(tag, row[key].get<double>());
  tensorboard_.scalars(step, values);
}

void TrainingReport::start_run(const std::string& line) {
  if (!root_) return;
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

void TrainingReport::start_epoch(int64_t epoch, int64_t steps_per_epoch) {
  if (!root_) return;
  progress_ = std::make_unique<ProgressBar>(
      "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(options_.epochs), steps_per_epoch);
}

void TrainingReport::step(const StepFigures& f) {
  if (!root_) return;
  char status[128];
  std::snprintf(status, sizeof status, "loss %.4f  lr %.4g  %.0f img/s", f.loss, f.lr, f.images_per_sec);
  if (progress_) progress_->update(f.batch_in_epoch + 1, status);
  if (!(metrics_.enabled() || tensorboard_.enabled()) || f.global_step % options_.log_every != 0) return;
  const nlohmann::json row{{"kind", "step"},
                           {"epoch", f.epoch + 1},
                           {"step", f.global_step},
                           {"loss", f.loss},
                           {"lr", f.lr},
                           {"images_per_sec", f.images_per_sec},
                           {"seconds", f.seconds},
                           {"data_ms", f.data_ms},
                           {"compute_ms", f.compute_ms},
                           {"allreduce_ms", f.allreduce_ms},
                           {"compute_ms_min", f.compute_min_ms},
                           {"compute_ms_max", f.compute_max_ms},
                           {"fastest_rank", f.fastest_rank},
                           {"slowest_rank", f.slowest_rank},
                           {"skipped", f.skipped},
                           {"skipped_steps", f.skipped_steps},
                           {"rss_mb", resident_memory_mb()}};
  metrics_.write_line(json_text(row));
  write_scalars(row, f.global_step,
                {{"loss", "train/loss"}, {"lr", "train/lr"}, {"images_per_sec", "train/images_per_sec"},
                 {"skipped_steps", "train/skipped_steps"}, {"data_ms", "time/data_ms"},
                 {"compute_ms", "time/compute_ms"}, {"allreduce_ms", "time/allreduce_ms"}});
}

void TrainingReport::interrupt() {
  if (progress_) progress_->finish();
}

void TrainingReport::end_epoch(const EpochFigures& f) {
  if (!root_) return;
  interrupt();
  const nlohmann::json val = f.has_val ? nlohmann::json(f.val_acc) : nlohmann::json();
  const nlohmann::json top5 = f.has_val ? nlohmann::json(f.val_top5) : nlohmann::json();
  std::printf("epoch %lld/%lld  train_loss %.4f  train_acc %.2f%%  val_acc %s  val_top5 %s  time %.1fs (%.0f img/s)\n",
              static_cast<long long>(f.epoch + 1), static_cast<long long>(options_.epochs), f.train_loss,
              100.0 * f.train_acc, percent(val).c_str(), percent(top5).c_str(), f.seconds, f.images_per_sec);
  std::fflush(stdout);
  nlohmann::json row{{"kind", "epoch"},       {"epoch", f.epoch + 1},    {"step", f.global_step},
                     {"train_loss", f.train_loss}, {"train_acc", f.train_acc}, {"val_acc", val},
                     {"val_top5", top5},      {"seconds", f.seconds}};
  metrics_.write_line(json_text(row));
  write_scalars(row, f.global_step,
                {{"train_loss", "epoch/train_loss"}, {"train_acc", "epoch/train_acc"}, {"val_acc", "epoch/val_acc"},
                 {"val_top5", "epoch/val_top5"}});
  epoch_rows_.push_back(row);
}

void TrainingReport::finish(int64_t global_step, double seconds, double images_per_sec, bool has_val,
                            double best_top1) {
  if (!root_) return;
  std::printf("\n%-8s %-12s %-10s %-10s %-10s %-8s\n", "epoch", "train_loss", "train_acc", "val_acc", "val_top5",
              "seconds");
  for (const auto& row : epoch_rows_)
    std::printf("%-8lld %-12.4f %-10s %-10s %-10s %-8.1f\n", row["epoch"].get<long long>(),
                row["train_loss"].get<double>(), percent(row["train_acc"]).c_str(), percent(row["val_acc"]).c_str(),
                percent(row["val_top5"]).c_str(), row["seconds"].get<double>());
  std::printf("done: %lld steps, %.1f s, %.0f img/s training", static_cast<long long>(global_step), seconds,
              images_per_sec);
  if (has_val && !epoch_rows_.empty())
    std::printf(", final val_acc %.2f%%, best %.2f%%", 100.0 * epoch_rows_.back()["val_acc"].get<double>(),
                100.0 * best_top1);
  std::printf("\n");
  if (!options_.checkpoint_dir.empty()) std::printf("checkpoints: %s/\n", options_.checkpoint_dir.c_str());
  if (!options_.metrics.empty())
    std::printf("metrics: %s (JSON lines; plot: /usr/bin/python3 scripts/plot_metrics.py %s -o metrics.png)\n",
                options_.metrics.c_str(), options_.metrics.c_str());
  std::fflush(stdout);
}

}  // namespace convoy
