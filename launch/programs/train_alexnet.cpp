// train_alexnet: AlexNet (docs/models.md) on docs/data.md HDF5 sets (made by
// images_to_hdf5) read through the worker-thread loader with the docs/data.md augmentation
// augmentation, or on --synthetic random images for smoke runs and benchmarks.
// The paper's recipe is the default.
#include "core/error.h"
#include "data_pipeline/hdf5_dataset.h"
#include "launch/trainer/train_program.h"

using namespace convoy;

namespace {

TrainingData open_alexnet_data(TrainOptions& options, const Communicator& comm) {
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
  if (options.data.empty() && options.val.empty())
    CONVOY_USER_ERROR("train_alexnet needs --data FILE.h5 (or --synthetic N for random images)");
  const CacheMode cache = options.cache_in_memory;
  std::shared_ptr<const ImageDataset> train, val;
  // Each rank on a node holds its own copy of a cached set: they share the RAM budget.
  const int sharing = comm.local_size();
  if (!options.data.empty()) train = std::make_shared<const ImageDataset>(ImageDataset::open(options.data, cache, sharing));
  if (!options.val.empty()) val = std::make_shared<const ImageDataset>(ImageDataset::open(options.val, cache, sharing));
  if (train && val) check_same_classes(*train, *val);
  // Normalisation and dataset PCA come from the training set (the validation set's when evaluating alone).
  const ImageDataset& reference = train ? *train : *val;
  if (reference.channels() != 3) CONVOY_USER_ERROR(reference.path(), " holds ", reference.channels(), "-channel images; AlexNet takes RGB");

  AugmentedSourceOptions augment;
  augment.seed = options.seed;
  augment.transform.crop_size = side;
  augment.transform.flip = !options.no_flip;
  augment.transform.pca = options.pca;
  augment.transform.pca_sigma = options.pca_sigma;
  use_dataset_statistics(reference, augment.transform);
  augment.eval_crops = options.eval_crops;
  if (train) data.train = make_augmented_source(train, augment);
  if (val) {
    augment.training = false;
    data.val = make_augmented_source(val, augment);
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
  defaults.lr_schedule = LrScheduleKind::kPlateau;
  defaults.init = InitScheme::kPaper;
  defaults.workers = 2;
  defaults.checkpoint_dir = "checkpoints/alexnet";
  return run_training_program("train_alexnet", argc, argv, defaults, true, open_alexnet_data);
}
