#include "io/checkpoint.h"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <new>

#include "core/error.h"
#include "formats/atomic_file.h"
#include "formats/hdf5_file.h"
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

TEST_F(CheckpointTest, TruncatedOrForeignFilesAreClearErrors) {
  const std::string good = (dir_ / "good.h5").string();
  save_checkpoint(good, pointers(), velocities_, TrainingPosition{});
  const auto size = fs::file_size(good);
  for (const double keep : {0.5, 0.9, 0.0}) {  // cut short at half, near the end, empty
    const std::string cut = (dir_ / ("cut" + std::to_string(keep) + ".h5")).string();
    fs::copy_file(good, cut, fs::copy_options::overwrite_existing);
    fs::resize_file(cut, static_cast<uintmax_t>(static_cast<double>(size) * keep));
    try {
      load_checkpoint(cut, pointers(), &velocities_);
      ADD_FAILURE() << "a checkpoint cut to " << keep << " of its size loaded";
    } catch (const Error& e) {
      EXPECT_TRUE(e.is_user_error()) << e.what();
      EXPECT_NE(std::string(e.what()).find(cut), std::string::npos) << e.what();
    }
  }
  // A valid HDF5 file that is not a checkpoint (a dataset, say).
  const std::string foreign = (dir_ / "foreign.h5").string();
  {
    Hdf5File file(foreign, Hdf5File::Mode::kCreate);
    const std::vector<int32_t> labels{1, 2, 3};
    file.write("/labels", Shape{3}, labels.data());
    file.close();
  }
  try {
    load_checkpoint(foreign, pointers(), nullptr);
    ADD_FAILURE() << "a dataset file loaded as a checkpoint";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is not a convoy checkpoint"), std::string::npos) << e.what();
  }
}

TEST_F(CheckpointTest, NonFiniteValuesAreDamage) {
  const std::string path = (dir_ / "nan.h5").string();
  velocities_[1].data()[2] = std::numeric_limits<float>::infinity();
  save_checkpoint(path, pointers(), velocities_, TrainingPosition{});
  load_checkpoint(path, pointers(), nullptr);  // the parameters alone are fine
  try {
    load_checkpoint(path, pointers(), &velocities_);
    ADD_FAILURE() << "an infinite momentum loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the momentum of fc.bias holds a non-finite value at element 2"),
              std::string::npos) << e.what();
  }
}

TEST_F(CheckpointTest, AFullDiskLeavesThePreviousCheckpointAndNoTemporary) {
  // RLIMIT_FSIZE with SIGXFSZ ignored: writes past the limit fail with EFBIG,
  // as on a full disk. In a child process, so that the limit binds nothing else.
  const std::string path = (dir_ / "checkpoint.h5").string();
  save_checkpoint(path, pointers(), velocities_, TrainingPosition{});
  std::ifstream in(path, std::ios::binary);
  const std::string before((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto overwrite_with_a_full_disk = [&] {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{};
    limit.rlim_cur = limit.rlim_max = 2048;  // the file needs more
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(3);
    Parameter big;
    big.name = "fc.weight";
    big.value = Tensor::zeros(Shape{64, 64});
    try {
      save_checkpoint(path, {&big}, {}, TrainingPosition{});
    } catch (const Error& e) {
      const std::string what = e.what();
      std::fprintf(stderr, "%s\n", what.c_str());
      _exit(e.is_user_error() && what.find("'" + path + "'") != std::string::npos ? 0 : 4);
    }
    _exit(5);  // written despite the limit
  };
  EXPECT_EXIT(overwrite_with_a_full_disk(), ::testing::ExitedWithCode(0), "cannot write");
  std::ifstream again(path, std::ios::binary);
  const std::string after((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>());
  EXPECT_EQ(after, before);  // untouched, and still a checkpoint
  load_checkpoint(path, pointers(), &velocities_);
  for (const auto& entry : fs::directory_iterator(dir_))
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
}

TEST(AtomicFile, CheckFolderWritableNamesTheOption) {
  TempDir temp;
  const fs::path file = fs::path(temp.path()) / "a_file";
  fs::create_directories(temp.path());
  std::ofstream(file) << "x";
  try {
    check_folder_writable((file / "sub").string(), "--checkpoint-dir");
    ADD_FAILURE() << "a folder under a file was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--checkpoint-dir '" + (file / "sub").string() + "'"), std::string::npos)
        << e.what();
  }
  check_folder_writable((fs::path(temp.path()) / "new" / "deeper").string(), "--checkpoint-dir");
  EXPECT_TRUE(fs::is_directory(fs::path(temp.path()) / "new" / "deeper"));
  EXPECT_TRUE(fs::is_empty(fs::path(temp.path()) / "new" / "deeper"));  // the probe is gone
}

TEST(AtomicFile, AFailedWriteReplacesNothing) {
  TempDir temp;
  fs::create_directories(temp.path());
  const std::string path = (fs::path(temp.path()) / "out.txt").string();
  write_file_atomically(path, [](const std::string& t) { std::ofstream(t) << "first"; });
  try {
    write_file_atomically(path, [](const std::string& t) {
      std::ofstream(t) << "half of the second";
      CONVOY_USER_ERROR("the writer gave up");
    });
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot write '" + path + "': the writer gave up"), std::string::npos) << e.what();
  }
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "first");
  EXPECT_EQ(std::distance(fs::directory_iterator(temp.path()), fs::directory_iterator{}), 1);
  // Not the user's fault: passes through unchanged, cleaned up all the same.
  EXPECT_THROW(write_file_atomically(path, [](const std::string& t) {
                 std::ofstream(t) << "x";
                 throw std::bad_alloc();
               }),
               std::bad_alloc);
  EXPECT_EQ(std::distance(fs::directory_iterator(temp.path()), fs::directory_iterator{}), 1);
}

}  // namespace
}  // namespace convoy::testing
