// bench_train: training throughput (images/s) of LeNet-5 or AlexNet:
// forward, loss, backward and the SGD step, as train_* runs them. Medians of
// several repeats; optionally a per-layer forward/backward table showing where
// the time goes. With --data FILE.h5 it also trains through the data loader
// (--workers threads reading, augmenting and batching that file, as the
// trainers do) in rounds alternating with training on batches of the same
// file already in memory, and reports the ratio. Last line: "summary key=value ...".
#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <functional>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <numeric>
#include <optional>

#include "backend/batch_uploader.h"
#include "backend/device_choice.h"
#include "benchmarks/bench_stats.h"
#include "core/threads.h"
#include "launch/trainer/batch_feed.h"
#include "launch/trainer/command_line.h"
#include "data_pipeline/hdf5_dataset.h"
#include "data_pipeline/loader.h"
#include "data_pipeline/sample_source.h"
#include "data_pipeline/sampler.h"
#include "launch/trainer/train_program.h"
#include "models/registry.h"
#include "nn/init.h"
#include "nn/loss.h"
#include "optim/sgd.h"
#include "tensor/allocator.h"

namespace po = boost::program_options;
using namespace convoy;
using bench::median;
using bench::ms_since;
using Clock = std::chrono::steady_clock;

namespace {

// Forward FLOPs per image (a multiply-add counts 2), from docs/models.md-§2.
double forward_flops(const std::string& model) { return model == "lenet5" ? 0.83e6 : 2.27e9; }

// What the trainers would feed the model from `dataset`: images of the
// model's input size normalised by the file's channel statistics (MNIST), or
// larger images randomly cropped, flipped, PCA-lit (where the file has its
// PCA) and normalised (ImageNet-style sets).
std::unique_ptr<SampleSource> data_source(const std::shared_ptr<const ImageDataset>& dataset, const Shape& input) {
  if (dataset->channels() != input[1])
    CONVOY_USER_ERROR(dataset->path(), " holds ", dataset->channels(), "-channel images; the model takes ",
                      input[1]);
  if (dataset->height() == input[2] && dataset->width() == input[3])
    return make_normalized_source(dataset, dataset->channel_mean(), dataset->channel_std());
  AugmentedSourceOptions o;
  o.transform.crop_size = input[2];
  if (dataset->has_pca()) o.transform.pca = PcaMode::kDataset;
  use_dataset_statistics(*dataset, o.transform);
  return make_augmented_source(dataset, o);
}

struct HeldBatch {
  Tensor images;
  std::vector<int32_t> labels;
  std::vector<int64_t> ids;
};

struct LayerTimes {
  std::vector<double> forward_ms, backward_ms;
  double loss_ms = 0, sgd_ms = 0;
};

struct BenchOptions {
  std::string model_name = "lenet5", data_path, per_layer_csv, device_name = "cpu";
  CacheMode cache_mode = CacheMode::kAuto;
  Precision precision = Precision::kFp32;
  ConvAlgorithms conv_algorithms = ConvAlgorithms::kMeasured;
  int64_t batch = 64, steps = 20, warmup = 3, repeats = 5, input_size = 0, classes = 0;
  int threads = 0, workers = 1;
  bool per_layer = false;
};

// The command line; empty after --help.
std::optional<BenchOptions> parse_options(int argc, char** argv) {
  BenchOptions o;
  po::options_description desc("bench_train options");
  desc.add_options()("model", convoy::option_value(&o.model_name), "lenet5 | alexnet")
      ("batch-size", convoy::option_value(&o.batch), "images per step")
      ("steps", convoy::option_value(&o.steps), "timed steps per repeat")
      ("warmup", convoy::option_value(&o.warmup), "untimed steps first")
      ("repeats", convoy::option_value(&o.repeats), "repeats (the median is reported)")
      ("threads", convoy::option_value(&o.threads), "compute threads (0: default)")
      ("input-size", convoy::option_value(&o.input_size), "input side (0: model default)")
      ("num-classes", convoy::option_value(&o.classes), "classes (0: model default)")
      ("per-layer", po::bool_switch(&o.per_layer), "also time each layer's forward and backward")
      ("per-layer-csv", po::value(&o.per_layer_csv), "with --per-layer: also write the table as CSV (the cluster model's input)")
      ("data", po::value(&o.data_path), "HDF5 file (docs/data.md) to train from, in memory and through the loader, side by side")
      ("workers", convoy::option_value(&o.workers), "loader threads with --data (0: load in the training thread)")
      ("cache-in-memory", convoy::option_value(&o.cache_mode), "with --data: auto | on | off")
      ("device", convoy::option_value(&o.device_name), "cpu | cuda | cuda:N")
      ("precision", convoy::option_value(&o.precision), "GPU math: fp32 | tf32 | bf16")
      ("conv-algorithms", convoy::option_value(&o.conv_algorithms),
       "GPU: cuDNN's convolution algorithms measured (the fastest per shape) | heuristic")
      ("help,h", "show this help");
  po::variables_map vm;
  if (!convoy::parse_command_line(argc, argv, desc, nullptr, vm)) return std::nullopt;
  return o;
}

// One benchmark run: the model and its optimizer on the device, batches held
// in memory and (with --data) the loader, in alternating timed rounds.
class TrainBench {
 public:
  explicit TrainBench(const BenchOptions& o)
      : o_(o),
        device_(parse_device(o.device_name, "--device")),
        spec_{o.model_name, o.classes, o.input_size},
        model_(make_model_on(spec_, device_)),
        sgd_(model_->parameters(), SgdOptions{0.9, 5e-4, false}),
        uploader_(make_batch_uploader(device_)) {  // as the trainers feed a GPU
    open_source();
    hold_batches();
    if (dataset_) {
      loader_ = make_feeding_loader(*source_, o_.batch, o_.workers, std::max(2, o_.workers), *uploader_);
      loader_order_ = shuffled_order(source_->size(), 1, 0);
    }
  }

  // Warm-up, then rounds alternating held batches and the loader, so that both see the same machine.
  void run_rounds() {
    for (int64_t i = 0; i < o_.warmup; ++i) held_step();
    if (loader_) {
      resume_loader();
      for (int64_t i = 0; i < o_.warmup; ++i) loader_step();
      pause_loader();
    }
    for (int64_t r = 0; r < o_.repeats; ++r) {
      rates_.push_back(timed_round([this] { held_step(); }));
      if (!loader_) continue;
      resume_loader();
      loader_rates_.push_back(timed_round([this] { loader_step(); }));
      pause_loader();
      ratios_.push_back(loader_rates_.back() / rates_.back());
    }
  }

  LayerTimes profile_layers();
  void print_layer_table(const LayerTimes& times) const;
  int print_results() const;

 private:
  static std::unique_ptr<Sequential> make_model_on(const models::ModelSpec& spec, Device device) {
    auto model = models::make_model(spec);
    initialize_parameters(model->parameters(), InitScheme::kXavier, 1);
    model->to(device);  // before the optimizer: its momentum lives beside the parameters
    return model;
  }

  void open_source() {
    const Shape input = models::model_input_shape(spec_);
    const Shape out = model_->output_shape(input);
    if (o_.data_path.empty()) {
      source_ = make_synthetic_source(o_.batch, out[1], Shape{input[1], input[2], input[3]}, 7);
      return;
    }
    dataset_ = std::make_shared<const ImageDataset>(ImageDataset::open(o_.data_path, o_.cache_mode));
    dataset_->wait_until_cached();  // from memory, as a long run's
    source_ = data_source(dataset_, input);
    if (source_->size() < o_.batch) CONVOY_USER_ERROR(o_.data_path, " holds fewer than one batch of images");
    if (source_->num_classes() > out[1])
      CONVOY_USER_ERROR(o_.data_path, " has ", source_->num_classes(), " classes; the model has ", out[1],
                        " outputs (--num-classes)");
  }

  // Batches held in memory: the first few batches of the data (one batch of
  // synthetic images), loaded once, cycled through.
  void hold_batches() {
    const int64_t count = std::min<int64_t>(8, source_->size() / o_.batch) * o_.batch;
    Loader once(*source_, o_.batch, 0, 1);
    once.start(sequential_order(count), 0, 0, false);
    while (const LoadedBatch* b = once.next()) held_.push_back({b->images.clone().to(device_), b->labels, b->ids});
  }

  // The loader, as the trainers run it: buffers allocated once, a shuffled
  // order per epoch, `workers` threads preparing the next batches. Between
  // its rounds it is paused (workers idle), so that it neither steals time
  // from the in-memory rounds nor starts a round with batches made outside
  // it: each round starts from an empty pipeline, like an epoch.
  void resume_loader() { loader_->start(loader_order_, loader_epoch_, loader_batch_, false); }
  void pause_loader() { loader_->start({}, loader_epoch_, 0, false); }
  const LoadedBatch& next_from_loader() {
    if (loader_batch_ == source_->size() / o_.batch) {
      loader_order_ = shuffled_order(source_->size(), 1, ++loader_epoch_);
      loader_batch_ = 0;
      resume_loader();
    }
    ++loader_batch_;
    return *loader_->next();
  }

  StepContext context(const std::vector<int64_t>& sample_ids) const {
    StepContext ctx;
    ctx.training = true;
    ctx.seed = 1;
    ctx.step = static_cast<uint64_t>(step_);
    ctx.sample_ids = sample_ids;
    return ctx;
  }
  void train_on(const Tensor& x, const std::vector<int32_t>& y, const std::vector<int64_t>& sample_ids) {
    const Tensor& logits = model_->forward(x, context(sample_ids));
    loss_.forward(logits, y);
    model_->backward(loss_.grad_logits(), false, {});
    sgd_.step(0.01);
    ++step_;
  }
  void held_step() {
    const HeldBatch& b = held_[static_cast<size_t>(step_) % held_.size()];
    train_on(b.images, b.labels, b.ids);
  }
  void loader_step() {
    const LoadedBatch& b = next_from_loader();
    train_on(upload_batch(*uploader_, b, o_.batch), b.labels, b.ids);
  }
  double timed_round(const std::function<void()>& one_step) {
    synchronize(device_);  // nothing of the warm-up or the last round still queued
    const auto start = Clock::now();
    for (int64_t i = 0; i < o_.steps; ++i) one_step();
    synchronize(device_);  // the last step's work, queued on a GPU, is done
    return static_cast<double>(o_.steps * o_.batch) * 1000.0 / ms_since(start);
  }

  const BenchOptions& o_;
  Device device_;
  models::ModelSpec spec_;
  std::unique_ptr<Sequential> model_;
  Sgd sgd_;
  SoftmaxCrossEntropy loss_;
  const std::unique_ptr<BatchUploader> uploader_;
  std::shared_ptr<const ImageDataset> dataset_;
  std::unique_ptr<SampleSource> source_;
  std::vector<HeldBatch> held_;
  std::unique_ptr<Loader> loader_;
  std::vector<int64_t> loader_order_;
  int64_t loader_epoch_ = 0, loader_batch_ = 0, step_ = 0;
  std::vector<double> rates_, loader_rates_, ratios_;
};

// Each layer's forward and backward, the loss and the update, timed apart over
// o.steps steps on the first held batch. On a GPU each piece's time is its
// work's, not its launch's: it is waited for.
LayerTimes TrainBench::profile_layers() {
  const size_t n = model_->size();
  LayerTimes times;
  times.forward_ms.assign(n, 0.0);
  times.backward_ms.assign(n, 0.0);
  auto done_since = [&](Clock::time_point t) {
    synchronize(device_);
    return ms_since(t);
  };
  synchronize(device_);
  for (int64_t i = 0; i < o_.steps; ++i) {
    const StepContext ctx = context(held_[0].ids);
    const Tensor* x = &held_[0].images;
    for (size_t l = 0; l < n; ++l) {
      const auto t = Clock::now();
      x = &model_->at(l).forward(*x, ctx);
      times.forward_ms[l] += done_since(t);
    }
    auto t = Clock::now();
    loss_.forward(*x, held_[0].labels);
    times.loss_ms += done_since(t);
    const Tensor* g = &loss_.grad_logits();
    for (size_t l = n; l-- > 0;) {
      t = Clock::now();
      g = &model_->at(l).backward(*g, l > 0, {});
      times.backward_ms[l] += done_since(t);
    }
    t = Clock::now();
    sgd_.step(0.01);
    times.sgd_ms += done_since(t);
    ++step_;
  }
  return times;
}

void TrainBench::print_layer_table(const LayerTimes& times) const {
  const size_t n = model_->size();
  const double steps = static_cast<double>(o_.steps);
  const double total = std::accumulate(times.forward_ms.begin(), times.forward_ms.end(), 0.0) +
                       std::accumulate(times.backward_ms.begin(), times.backward_ms.end(), 0.0) + times.loss_ms +
                       times.sgd_ms;
  std::printf("\nper-layer time per step (ms), %s batch %lld, mean of %lld steps\n", o_.model_name.c_str(),
              static_cast<long long>(o_.batch), static_cast<long long>(o_.steps));
  std::printf("%-10s %-11s %10s %10s %8s\n", "layer", "kind", "forward", "backward", "share");
  for (size_t l = 0; l < n; ++l)
    std::printf("%-10s %-11s %10.3f %10.3f %7.1f%%\n", model_->at(l).name().c_str(), model_->at(l).kind().c_str(),
                times.forward_ms[l] / steps, times.backward_ms[l] / steps,
                100.0 * (times.forward_ms[l] + times.backward_ms[l]) / total);
  std::printf("%-10s %-11s %10.3f %10s %7.1f%%\n", "loss", "softmax_xent", times.loss_ms / steps, "",
              100.0 * times.loss_ms / total);
  std::printf("%-10s %-11s %10s %10.3f %7.1f%%\n", "sgd", "update", "", times.sgd_ms / steps,
              100.0 * times.sgd_ms / total);
  if (o_.per_layer_csv.empty()) return;
  std::ofstream csv(o_.per_layer_csv);
  csv << "layer,kind,forward_ms,backward_ms,batch,threads\n";
  for (size_t l = 0; l < n; ++l)
    csv << model_->at(l).name() << "," << model_->at(l).kind() << "," << times.forward_ms[l] / steps << ","
        << times.backward_ms[l] / steps << "," << o_.batch << "," << compute_threads() << "\n";
  csv << "loss,softmax_xent," << times.loss_ms / steps << ",0," << o_.batch << "," << compute_threads() << "\n";
  csv << "sgd,update,0," << times.sgd_ms / steps << "," << o_.batch << "," << compute_threads() << "\n";
  if (!csv) CONVOY_USER_ERROR("cannot write ", o_.per_layer_csv);
}

int TrainBench::print_results() const {
  const double rate = median(rates_);
  const double gflops = rate * 3.0 * forward_flops(o_.model_name) / 1e9;
  const auto [low, high] = std::minmax_element(rates_.begin(), rates_.end());
  std::printf("\n%-8s %-7s %6s %8s %12s %12s %10s\n", "model", "device", "batch", "threads", "img/s (med)",
              "min..max", "GFLOP/s");
  std::printf("%-8s %-7s %6lld %8d %12.1f %5.0f..%-6.0f %10.1f\n", o_.model_name.c_str(), to_string(device_).c_str(),
              static_cast<long long>(o_.batch), compute_threads(), rate, *low, *high, gflops);
  std::string summary = "summary model=" + o_.model_name + " device=" + to_string(device_) +
                        " precision=" + name_of(o_.precision) + " batch=" + std::to_string(o_.batch) +
                        " threads=" + std::to_string(compute_threads());
  char figures[160];
  std::snprintf(figures, sizeof figures, " img_per_s=%.1f gflops=%.1f", rate, gflops);
  summary += figures;
  if (loader_) {
    const double loader_rate = median(loader_rates_), ratio = median(ratios_);
    const auto [loader_low, loader_high] = std::minmax_element(loader_rates_.begin(), loader_rates_.end());
    std::printf("\ninput from %s (%s, %lld images, %s batches), %d loader worker(s), %lld steps a round, %lld rounds\n",
                o_.data_path.c_str(), dataset_->is_jpeg() ? "jpeg" : "raw", static_cast<long long>(dataset_->size()),
                feed_name(*loader_), o_.workers, static_cast<long long>(o_.steps), static_cast<long long>(o_.repeats));
    std::printf("%-28s %12s %16s\n", "input", "img/s (med)", "min..max");
    std::printf("%-28s %12.1f %7.1f..%-8.1f\n", "batches already in memory", rate, *low, *high);
    std::printf("%-28s %12.1f %7.1f..%-8.1f\n", "through the loader", loader_rate, *loader_low, *loader_high);
    std::printf("loader / memory, median of paired rounds: %.3f (%+.1f%%)\n", ratio, 100.0 * (ratio - 1.0));
    std::snprintf(figures, sizeof figures, " workers=%d loader_img_per_s=%.1f loader_vs_memory=%.3f feed=%s",
                  o_.workers, loader_rate, ratio, loader_->format() == BatchFormat::kPixels ? "pixels" : "float");
    summary += figures;
  }
  std::printf("%s\n", summary.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return run_guarded("bench_train", [&] {
    const std::optional<BenchOptions> o = parse_options(argc, argv);
    if (!o) return 0;
    set_compute_threads(o->threads);
    configure_gpu_math(o->precision, false, o->conv_algorithms);
    TrainBench bench(*o);
    bench.run_rounds();
    if (o->per_layer) bench.print_layer_table(bench.profile_layers());
    return bench.print_results();
  });
}
