// Training-loop guarantees: resume is exact (bit for bit on the CPU), at an
// epoch boundary and mid-epoch, and a stop signal ends training cleanly with a
// checkpoint.
#include "launch/trainer/trainer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "distributed/single_process_communicator.h"
#include "io/checkpoint.h"
#include "launch/trainer/stop_signal.h"
#include "models/lenet5.h"
#include "tests/common/test_support.h"

namespace convoy {
namespace {

namespace fs = std::filesystem;

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = make_synthetic_source(96, 10, Shape{1, 28, 28}, 5);
    val_ = make_synthetic_source(40, 10, Shape{1, 28, 28}, 6);
  }

  TrainOptions options(const std::string& run, int64_t epochs) {
    TrainOptions o;
    o.model = "lenet5";
    o.epochs = epochs;
    o.batch_size = 16;
    o.lr = 0.05;
    o.momentum = 0.9;
    o.weight_decay = 5e-4;
    o.lr_schedule = LrScheduleKind::kCosine;
    o.warmup_epochs = 0.5;
    o.init = InitScheme::kXavier;
    o.seed = 11;
    o.log_every = 1000;
    o.checkpoint_dir = (root_ / run).string();
    o.keep_checkpoints = 0;
    return o;
  }

  // Trains with `o` (resuming from `resume` when given) and returns the final parameters.
  std::vector<std::vector<float>> train(const TrainOptions& o, const std::string& resume = "") {
    auto model = models::make_lenet5();
    Trainer trainer(o, *model, *source_, val_.get(), comm_);
    if (!resume.empty()) trainer.load(resume, true);
    EXPECT_EQ(trainer.run(), 0);
    std::vector<std::vector<float>> values;
    for (Parameter* p : model->parameters())
      values.emplace_back(p->value.data(), p->value.data() + p->value.numel());
    return values;
  }

  testing::TempDir temp_;
  const fs::path root_ = temp_.path();
  std::unique_ptr<SampleSource> source_, val_;
  SingleProcessCommunicator comm_;
};

TEST_F(TrainerTest, ResumeAtEpochBoundaryIsBitExact) {
  // --epochs 2 == --epochs 1, then resume with --epochs 2. (A schedule whose
  // shape does not depend on --epochs: cosine's horizon is --epochs itself.)
  auto with_step_schedule = [&](const std::string& run, int64_t epochs) {
    TrainOptions o = options(run, epochs);
    o.lr_schedule = LrScheduleKind::kStep;
    o.lr_step_size = 1;
    o.lr_gamma = 0.5;
    return o;
  };
  const auto straight = train(with_step_schedule("straight", 2));
  const auto first = train(with_step_schedule("split", 1));
  EXPECT_NE(first, straight);
  const auto latest = find_latest_checkpoint((root_ / "split").string());
  ASSERT_TRUE(latest.has_value());
  const auto resumed = train(with_step_schedule("split", 2), *latest);
  EXPECT_EQ(straight, resumed);
}

TEST_F(TrainerTest, ResumeMidEpochIsBitExact) {
  const auto straight = train(options("straight", 2));
  TrainOptions stop_early = options("split", 2);
  stop_early.max_steps = 9;  // 6 steps per epoch: stops inside epoch 2
  const auto partial = train(stop_early);
  EXPECT_NE(partial, straight);
  const auto latest = find_latest_checkpoint((root_ / "split").string());
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(fs::path(*latest).filename(), "checkpoint-step-00000009.h5");
  const auto resumed = train(options("split", 2), *latest);
  EXPECT_EQ(straight, resumed);
}

TEST_F(TrainerTest, DifferentSeedsGiveDifferentModels) {
  TrainOptions other = options("other", 1);
  other.seed = 12;
  EXPECT_NE(train(options("base", 1)), train(other));
}

TEST_F(TrainerTest, StopSignalWritesACheckpointAndReturnsCleanly) {
  clear_stop_request();
  TrainOptions o = options("signal", 100000);  // far longer than the test waits
  auto model = models::make_lenet5();
  Trainer trainer(o, *model, *source_, nullptr, comm_);
  int code = -1;
  std::thread worker([&] { code = trainer.run(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::raise(SIGTERM);
  worker.join();
  EXPECT_EQ(code, 0);
  EXPECT_EQ(stop_requested(), SIGTERM);
  clear_stop_request();
  std::signal(SIGTERM, SIG_DFL);
  const auto latest = find_latest_checkpoint(o.checkpoint_dir);
  ASSERT_TRUE(latest.has_value());
  auto reloaded = models::make_lenet5();
  const TrainingPosition pos = load_checkpoint(*latest, reloaded->parameters(), nullptr);
  EXPECT_EQ(pos.global_step, trainer.global_step());
  EXPECT_GT(pos.global_step, 0);
  for (size_t i = 0; i < reloaded->parameters().size(); ++i) {
    const Tensor& a = reloaded->parameters()[i]->value;
    const Tensor& b = model->parameters()[i]->value;
    EXPECT_TRUE(std::equal(a.data(), a.data() + a.numel(), b.data()));
  }
}

// Expects `run` to throw a convoy::Error; returns its message.
template <typename Run>
std::string error_of(Run run) {
  try {
    run();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST_F(TrainerTest, DivergenceStopsWithStepLayerAndLrAndKeepsTheCheckpoint) {
  TrainOptions o = options("diverge", 1);
  train(o);
  const std::string good = *find_latest_checkpoint(o.checkpoint_dir);
  const std::string good_bytes = file_bytes(good);
  o.epochs = 2;
  o.lr = 1e30;  // the first update overflows; the next gradients are not finite
  o.lr_schedule = LrScheduleKind::kConstant;
  o.warmup_epochs = 0;
  auto model = models::make_lenet5();
  Trainer trainer(o, *model, *source_, nullptr, comm_);
  trainer.load(good, true);
  const std::string what = error_of([&] { trainer.run(); });
  EXPECT_NE(what.find("training diverged at step"), std::string::npos) << what;
  EXPECT_NE(what.find("the gradient of "), std::string::npos) << what;
  EXPECT_NE(what.find("learning rate 1e+30"), std::string::npos) << what;
  EXPECT_EQ(*find_latest_checkpoint(o.checkpoint_dir), good);
  EXPECT_EQ(file_bytes(good), good_bytes);
}

TEST_F(TrainerTest, AnomalySkipCountsAndStopsAfterMaxSkippedInARow) {
  TrainOptions o = options("skip", 1);
  o.lr = 1e30;
  o.lr_schedule = LrScheduleKind::kConstant;
  o.warmup_epochs = 0;
  o.anomaly = AnomalyAction::kSkip;
  o.max_skipped = 3;
  o.metrics = (root_ / "skip.jsonl").string();
  o.log_every = 1;
  auto model = models::make_lenet5();
  Trainer trainer(o, *model, *source_, nullptr, comm_);
  const std::string what = error_of([&] { trainer.run(); });
  EXPECT_NE(what.find("3 steps in a row had non-finite gradients"), std::string::npos) << what;
  EXPECT_FALSE(find_latest_checkpoint(o.checkpoint_dir).has_value());  // nothing non-finite written
  std::ifstream metrics(o.metrics);
  std::string line, last;
  int skipped_lines = 0;
  while (std::getline(metrics, line))
    if (line.find("\"skipped\":true") != std::string::npos) ++skipped_lines, last = line;
  EXPECT_EQ(skipped_lines, 2);  // the third ends the job before its line
  EXPECT_NE(last.find("\"skipped_steps\":2"), std::string::npos) << last;
}

TEST_F(TrainerTest, ResumeRefusesAnotherTrainingSetUnlessTheEpochStartsOver) {
  TrainOptions o = options("position", 2);
  o.max_steps = 3;  // mid-epoch: 6 steps per epoch
  train(o);
  const std::string saved = *find_latest_checkpoint(o.checkpoint_dir);
  auto smaller = make_synthetic_source(80, 10, Shape{1, 28, 28}, 5);
  o.max_steps = 0;
  {
    auto model = models::make_lenet5();
    Trainer trainer(o, *model, *smaller, nullptr, comm_);
    const std::string what = error_of([&] { trainer.load(saved, true); });
    EXPECT_NE(what.find("training set of 96 samples"), std::string::npos) << what;
    EXPECT_NE(what.find("--resume-reset-position"), std::string::npos) << what;
  }
  {
    o.batch_size = 8;  // another global batch
    auto model = models::make_lenet5();
    Trainer trainer(o, *model, *source_, nullptr, comm_);
    const std::string what = error_of([&] { trainer.load(saved, true); });
    EXPECT_NE(what.find("global batch of 16"), std::string::npos) << what;
    o.batch_size = 16;
  }
  o.resume_reset_position = true;
  auto model = models::make_lenet5();
  Trainer trainer(o, *model, *smaller, nullptr, comm_);
  trainer.load(saved, true);
  EXPECT_EQ(trainer.global_step(), 3);
  EXPECT_EQ(trainer.run(), 0);
  EXPECT_EQ(trainer.global_step(), 3 + 5 + 5);  // epoch 1 over from its start, then epoch 2: 80 / 16 steps each
}

TEST_F(TrainerTest, ADamagedPositionIsRefused) {
  TrainOptions o = options("damaged", 1);
  o.max_steps = 2;
  train(o);
  const std::string saved = *find_latest_checkpoint(o.checkpoint_dir);
  // Rewrite its position as a damaged file might hold it.
  auto model = models::make_lenet5();
  Sgd sgd(model->parameters(), SgdOptions{0.9, 5e-4, false});
  TrainingPosition position = load_checkpoint(saved, model->parameters(), &sgd.velocities());
  position.batch_in_epoch = -4;
  save_checkpoint(saved, model->parameters(), sgd.velocities(), position);
  Trainer trainer(o, *model, *source_, nullptr, comm_);
  EXPECT_NE(error_of([&] { trainer.load(saved, true); }).find("is damaged"), std::string::npos);
  position.batch_in_epoch = 40;  // beyond the epoch's 6 steps
  save_checkpoint(saved, model->parameters(), sgd.velocities(), position);
  Trainer again(o, *model, *source_, nullptr, comm_);
  again.load(saved, true);
  EXPECT_NE(error_of([&] { again.run(); }).find("beyond the epoch's 6 steps"), std::string::npos);
}

TEST_F(TrainerTest, PathsThatAreNotUtf8) {
  // File names on Linux are bytes. The options recorded in a checkpoint (JSON)
  // used to throw on them (found by fuzz_command_line: an option value with
  // invalid UTF-8; its input is in tests/fuzz/regressions/).
  TrainOptions o = options(std::string("latin1-\xe9t\xe9-\xff"), 1);
  o.max_steps = 2;
  train(o);
  const auto saved = find_latest_checkpoint(o.checkpoint_dir);
  ASSERT_TRUE(saved.has_value());
  auto model = models::make_lenet5();
  const TrainingPosition position = load_checkpoint(*saved, model->parameters(), nullptr);
  EXPECT_NE(position.options_json.find("latin1-\xef\xbf\xbdt"), std::string::npos) << position.options_json;  // U+FFFD
}

TEST_F(TrainerTest, StopSignalsDuringCheckpointWritesLoseNothing) {
  // Epochs of 6 steps, each ending in a checkpoint: signals sent at varied
  // moments land during writes too. Every run must end cleanly, and every
  // checkpoint left must load, with no temporary file behind.
  for (int attempt = 0; attempt < 8; ++attempt) {
    clear_stop_request();
    TrainOptions o = options("signal-during-write-" + std::to_string(attempt), 100000);
    o.keep_checkpoints = 3;
    auto model = models::make_lenet5();
    Trainer trainer(o, *model, *source_, nullptr, comm_);
    int code = -1;
    std::thread worker([&] { code = trainer.run(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(40 + 17 * attempt));
    std::raise(SIGTERM);
    worker.join();
    EXPECT_EQ(code, 0);
    int checkpoints = 0;
    for (const auto& entry : fs::directory_iterator(o.checkpoint_dir)) {
      const std::string name = entry.path().filename().string();
      EXPECT_EQ(name.find(".tmp."), std::string::npos) << name;
      auto reloaded = models::make_lenet5();
      Sgd sgd(reloaded->parameters(), SgdOptions{0.9, 5e-4, false});
      load_checkpoint(entry.path().string(), reloaded->parameters(), &sgd.velocities());
      ++checkpoints;
    }
    EXPECT_GE(checkpoints, 1);
  }
  clear_stop_request();
  std::signal(SIGTERM, SIG_DFL);
}

}  // namespace
}  // namespace convoy
