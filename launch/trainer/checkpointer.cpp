#include "launch/trainer/checkpointer.h"

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "distributed/agreement.h"
#include "formats/json_text.h"
#include "launch/trainer/console.h"

namespace convoy {

namespace {

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
  for (size_t i = 0; i + static_cast<size_t>(keep) < found.size(); ++i) std::filesystem::remove(found[i], ec);
}

}  // namespace

Checkpointer::Checkpointer(const TrainOptions& options, Communicator& comm) : options_(options), comm_(comm) {}

TrainingPosition Checkpointer::check_resumable(TrainingPosition saved, const TrainingPosition& current,
                                               const std::string& path) const {
  if (saved.epoch < 0 || saved.batch_in_epoch < 0 || saved.global_step < 0 || saved.global_batch < 0 ||
      saved.train_samples < 0)
    throw JobError("checkpoint '" + path + "' is damaged: its position (epoch " + std::to_string(saved.epoch) +
                   ", batch " + std::to_string(saved.batch_in_epoch) + ", step " + std::to_string(saved.global_step) +
                   ") is impossible");
  // The position counts batches of one global batch through one training set:
  // with either changed it would name other samples.
  std::string changed;
  if (saved.global_batch != 0 && saved.global_batch != current.global_batch)
    changed = "was written at a global batch of " + std::to_string(saved.global_batch) +
              " images per step, this run's is " + std::to_string(current.global_batch) +
              " (--batch-size x ranks x --accumulate-steps; any rank count at the same global batch resumes exactly)";
  else if (saved.train_samples != 0 && saved.train_samples != current.train_samples)
    changed = "was written for a training set of " + std::to_string(saved.train_samples) +
              " samples, this run's (--data) has " + std::to_string(current.train_samples);
  if (changed.empty()) return saved;
  if (!options_.resume_reset_position)
    throw JobError("checkpoint '" + path + "' " + changed +
                   ": its position would name other samples. Resume with the same settings, or add "
                   "--resume-reset-position to keep its weights and start its epoch over.");
  say("note: checkpoint '%s' %s; --resume-reset-position: starting epoch %lld over\n", path.c_str(), changed.c_str(),
      static_cast<long long>(saved.epoch + 1));
  saved.batch_in_epoch = 0;
  return saved;
}

std::string Checkpointer::save(const std::vector<Parameter*>& parameters, const std::vector<Tensor>& velocities,
                               const TrainingPosition& position) const {
  if (options_.checkpoint_dir.empty() || comm_.rank() != 0) return "";
  const std::string path = checkpoint_path(options_.checkpoint_dir, position.global_step);
  save_checkpoint(path, parameters, velocities, position);
  remove_old_checkpoints(options_.checkpoint_dir, options_.keep_checkpoints);
  return path;
}

std::string Checkpointer::resume_path() const {
  std::string path;
  if (comm_.rank() == 0) {
    path = options_.resume;
    if (path == "auto") path = find_latest_checkpoint(options_.checkpoint_dir).value_or("");
  }
  return broadcast_string(comm_, path, 0, "broadcast of the checkpoint path");
}

std::string position_to_json(const TrainingPosition& p) {
  return json_text(nlohmann::json{{"epoch", p.epoch},
                        {"batch_in_epoch", p.batch_in_epoch},
                        {"global_step", p.global_step},
                        {"global_batch", p.global_batch},
                        {"train_samples", p.train_samples},
                        {"seed", p.seed},
                        {"model", p.model},
                        {"options", p.options_json},
                        {"schedule", {p.schedule.best_error, p.schedule.bad_epochs, p.schedule.decays}}});
}

TrainingPosition position_from_json(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text);
  TrainingPosition p;
  p.epoch = j.at("epoch");
  p.batch_in_epoch = j.at("batch_in_epoch");
  p.global_step = j.at("global_step");
  p.global_batch = j.at("global_batch");
  p.train_samples = j.at("train_samples");
  p.seed = j.at("seed");
  p.model = j.at("model");
  p.options_json = j.at("options");
  p.schedule = {j.at("schedule").at(0), j.at("schedule").at(1), j.at("schedule").at(2)};
  return p;
}

}  // namespace convoy
