#include "io/checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "reference/gradcheck.h"
#include "common/test_support.h"

namespace convoy::testing {
namespace {

namespace fs = std::filesystem;

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 2; ++i) {
      params_[i].name = i == 0 ? "fc.weight" : "fc.bias";
      const Shape shape = i == 0 ? Shape{3, 4} : Shape{3};
      params_[i].value = to_tensor(random_vec(shape.numel(), 10 + i), shape);
      velocities_.push_back(to_tensor(random_vec(shape.numel(), 20 + i), shape));
    }
  }

  std::vector<Parameter*> pointers() { return {&params_[0], &params_[1]}; }
  TempDir temp_;
  const fs::path dir_ = temp_.path();
  Parameter params_[2];
  std::vector<Tensor> velocities_;
};

TEST_F(CheckpointTest, RoundTripRestoresEverything) {
  TrainingPosition pos;
  pos.epoch = 3;
  pos.batch_in_epoch = 17;
  pos.global_step = 1234;
  pos.seed = 99;
  pos.model = "lenet5";
  pos.options_json = R"({"lr":0.1})";
  pos.schedule = {0.25, 2, 1};
  const std::string path = checkpoint_path(dir_.string(), pos.global_step);
  save_checkpoint(path, pointers(), velocities_, pos);

  const Vec w = to_vec(params_[0].value), v = to_vec(velocities_[1]);
  params_[0].value.fill(0.0f);
  velocities_[1].fill(0.0f);
  const TrainingPosition loaded = load_checkpoint(path, pointers(), &velocities_);
  EXPECT_EQ(to_vec(params_[0].value), w);
  EXPECT_EQ(to_vec(velocities_[1]), v);
  EXPECT_EQ(loaded.epoch, 3);
  EXPECT_EQ(loaded.batch_in_epoch, 17);
  EXPECT_EQ(loaded.global_step, 1234);
  EXPECT_EQ(loaded.seed, 99u);
  EXPECT_EQ(loaded.model, "lenet5");
  EXPECT_EQ(loaded.options_json, pos.options_json);
  EXPECT_EQ(loaded.schedule.decays, 1);
  EXPECT_DOUBLE_EQ(loaded.schedule.best_error, 0.25);
}

TEST_F(CheckpointTest, LatestIsTheOneWithMostSteps) {
  EXPECT_FALSE(find_latest_checkpoint(dir_.string()).has_value());
  for (int64_t step : {900, 12000, 50}) save_checkpoint(checkpoint_path(dir_.string(), step), pointers(), {}, {});
  EXPECT_EQ(find_latest_checkpoint(dir_.string()), checkpoint_path(dir_.string(), 12000));
}

TEST_F(CheckpointTest, LeavesNoTemporaryFiles) {
  save_checkpoint(checkpoint_path(dir_.string(), 1), pointers(), velocities_, {});
  for (const auto& entry : fs::directory_iterator(dir_))
    EXPECT_EQ(entry.path().extension(), ".h5") << entry.path();
}

TEST_F(CheckpointTest, ShapeMismatchNamesFileAndParameter) {
  const std::string path = checkpoint_path(dir_.string(), 1);
  save_checkpoint(path, pointers(), velocities_, {});
  Parameter other;
  other.name = "fc.weight";
  other.value = Tensor::zeros(Shape{4, 3});
  std::vector<Parameter*> mismatched{&other};
  try {
    load_checkpoint(path, mismatched, nullptr);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("fc.weight"), std::string::npos);
  }
}

TEST_F(CheckpointTest, NonCheckpointFileIsAClearError) {
  fs::create_directories(dir_);
  const std::string path = (dir_ / "not_a_checkpoint.h5").string();
  std::ofstream(path) << "hello";
  try {
    load_checkpoint(path, pointers(), nullptr);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
}

}  // namespace
}  // namespace convoy::testing
