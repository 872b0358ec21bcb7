// train_alexnet: AlexNet (SPEC §2) on an HDF5 set, or on --synthetic random
// images for smoke runs and benchmarks. The paper's recipe is the default.
#include "core/error.h"
#include "data_pipeline/hdf5_dataset.h"
#include "launch/train_program.h"

using namespace convoy;

namespace {

TrainingData open_alexnet_data(TrainOptions& options) {
  TrainingData data;
  const int64_t side = options.input_size ? options.input_size : 227;
  const int64_t classes = options.num_classes ? options.num_classes : 1000;
  if (options.synthetic > 0) {
    if (!options.data.empty()) CONVOY_USER_ERROR("give either --data or --synthetic, not both");
    data.train = make_synthetic_source(options.synthetic, classes, Shape{3, side, side}, options.seed);
    if (options.synthetic_val > 0)
      data.val = make_synthetic_source(options.synthetic_val, classes, Shape{3, side, side}, options.seed + 1);
    return data;
  }
  if (options.data.empty() && options.evaluate.empty())
    CONVOY_USER_ERROR("train_alexnet needs --data FILE.h5 (or --synthetic N for random images)");
  std::vector<double> mean, std;
  if (!options.data.empty()) {
    auto train = std::make_shared<const InMemoryImageDataset>(InMemoryImageDataset::open(options.data));
    mean = train->channel_mean();
    std = train->channel_std();
    data.train = make_normalized_source(train, mean, std);
  }
  if (!options.val.empty()) {
    auto val = std::make_shared<const InMemoryImageDataset>(InMemoryImageDataset::open(options.val));
    if (mean.empty()) {
      mean = val->channel_mean();
      std = val->channel_std();
    }
    data.val = make_normalized_source(val, mean, std);
  }
  return data;
}

}  // namespace

int main(int argc, char** argv) {
  TrainOptions defaults;
  defaults.model = "alexnet";
  defaults.epochs = 90;
  defaults.batch_size = 128;
  defaults.lr = 0.01;
  defaults.momentum = 0.9;
  defaults.weight_decay = 5e-4;
  defaults.lr_schedule = "plateau";
  defaults.init = "paper";
  defaults.checkpoint_dir = "checkpoints/alexnet";
  return run_training_program("train_alexnet", argc, argv, defaults, true, open_alexnet_data);
}
