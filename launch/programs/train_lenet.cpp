// train_lenet: the seed LeNet-5 on MNIST. With no --data it looks in
// ./data/mnist, then ../shared/data/mnist, converting the IDX files once into
// --cache-dir.
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <sstream>

#include "core/error.h"
#include "data_pipeline/hdf5_dataset.h"
#include "data_pipeline/mnist_idx.h"
#include "data_pipeline/mnist_to_hdf5.h"
#include "launch/trainer/console.h"
#include "launch/trainer/train_program.h"

namespace fs = std::filesystem;
using namespace convoy;

namespace {

bool holds_mnist(const fs::path& folder) {
  try {
    find_idx_file(folder.string(), "train-images-idx3-ubyte");
    return true;
  } catch (const Error&) {
    return false;
  }
}

std::string default_cache_dir() {
  const char* home = std::getenv("HOME");
  return (fs::path(home ? home : ".") / ".cache" / "convoy").string();
}

// IDX folder -> (train.h5, test.h5) in the cache, converted on first use.
std::pair<std::string, std::string> cached_conversion(const fs::path& idx_folder, const std::string& cache_dir) {
  const std::string canonical = fs::weakly_canonical(idx_folder).string();
  std::ostringstream key;
  key << "mnist-" << std::hex << std::hash<std::string>{}(canonical);
  const fs::path out = fs::path(cache_dir) / key.str();
  const fs::path train = out / kMnistTrainFile, test = out / kMnistTestFile;
  if (!fs::exists(train) || !fs::exists(test)) {
    // Each rank converts on its own (the files are written atomically).
    say("converting MNIST from %s into %s (once)\n", canonical.c_str(), out.c_str());
    convert_mnist_folder(idx_folder.string(), out.string());
  }
  return {train.string(), test.string()};
}

TrainingData open_mnist(TrainOptions& options, const Communicator&) {
  std::string train_path, test_path = options.val;
  if (options.data.empty()) {
    for (const char* candidate : {"data/mnist", "../shared/data/mnist"})
      if (holds_mnist(candidate)) {
        options.data = candidate;
        break;
      }
    if (options.data.empty())
      CONVOY_USER_ERROR("MNIST was not found in ./data/mnist or ../shared/data/mnist. Put the four IDX "
                        "files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
                        "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) in ./data/mnist, run "
                        "scripts/get_mnist.sh to download them, or pass --data DIR");
  }
  if (fs::is_directory(options.data)) {
    const auto [train, test] = cached_conversion(options.data, options.cache_dir);
    train_path = train;
    if (test_path.empty()) test_path = test;
  } else {
    train_path = options.data;
  }
  auto train = std::make_shared<const ImageDataset>(ImageDataset::open(train_path, CacheMode::kOn));
  TrainingData data;
  data.train = make_normalized_source(train, train->channel_mean(), train->channel_std());
  if (!test_path.empty()) {
    auto test = std::make_shared<const ImageDataset>(ImageDataset::open(test_path, CacheMode::kOn));
    check_same_classes(*train, *test);
    data.val = make_normalized_source(test, train->channel_mean(), train->channel_std());
  }
  return data;
}

}  // namespace

int main(int argc, char** argv) {
  TrainOptions defaults;
  defaults.model = "lenet5";
  defaults.cache_dir = default_cache_dir();
  defaults.epochs = 20;
  defaults.batch_size = 64;
  defaults.eval_batch_size = 1000;
  // The default recipe (found with benchmarks/peers/pytorch_lenet_recipe.py):
  // sigmoid LeNet-5 stalls with weight decay >= 5e-4 and likes a high rate.
  defaults.lr = 0.2;
  defaults.momentum = 0.9;
  defaults.weight_decay = 5e-5;
  defaults.lr_schedule = LrScheduleKind::kCosine;
  defaults.init = InitScheme::kXavier;
  defaults.checkpoint_dir = "checkpoints/lenet5";
  return run_training_program("train_lenet", argc, argv, defaults, false, open_mnist);
}
