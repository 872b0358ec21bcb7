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
};

}  // namespace

int main(int argc, char** argv) {
  return run_guarded("bench_train", [&] {
    std::string model_name = "lenet5";
    int64_t batch = 64, steps = 20, warmup = 3, repeats = 5, input_size = 0, classes = 0;
    int threads = 0;
    bool per_layer = false;
    std::string data_path, cache_mode = "auto", per_layer_csv, device_name = "cpu", precision_name = "fp32",
                conv_algorithms = "measured";
    int workers = 1;
    po::options_description desc("bench_train options");
    desc.add_options()("model", convoy::option_value(&model_name), "lenet5 | alexnet")
        ("batch-size", convoy::option_value(&batch), "images per step")
        ("steps", convoy::option_value(&steps), "timed steps per repeat")
        ("warmup", convoy::option_value(&warmup), "untimed steps first")
        ("repeats", convoy::option_value(&repeats), "repeats (the median is reported)")
        ("threads", convoy::option_value(&threads), "compute threads (0: default)")
        ("input-size", convoy::option_value(&input_size), "input side (0: model default)")
        ("num-classes", convoy::option_value(&classes), "classes (0: model default)")
        ("per-layer", po::bool_switch(&per_layer), "also time each layer's forward and backward")
        ("per-layer-csv", po::value(&per_layer_csv), "with --per-layer: also write the table as CSV (the cluster model's input)")
        ("data", po::value(&data_path), "HDF5 file (docs/data.md) to train from, in memory and through the loader, side by side")
        ("workers", convoy::option_value(&workers), "loader threads with --data (0: load in the training thread)")
        ("cache-in-memory", convoy::option_value(&cache_mode), "with --data: auto | on | off")
        ("device", convoy::option_value(&device_name), "cpu | cuda | cuda:N")
        ("precision", convoy::option_value(&precision_name), "GPU math: fp32 | tf32 | bf16")
        ("conv-algorithms", convoy::option_value(&conv_algorithms),
         "GPU: cuDNN's convolution algorithms measured (the fastest per shape) | heuristic")
        ("help,h", "show this help");
    po::variables_map vm;
    if (!convoy::parse_command_line(argc, argv, desc, nullptr, vm)) return 0;
    set_compute_threads(threads);
    const Device device = parse_device(device_name, "--device");
    configure_gpu_math(parse_precision(precision_name), false, parse_conv_algorithms(conv_algorithms));
    const models::ModelSpec spec{model_name, classes, input_size};
    auto model = models::make_model(spec);
    initialize_parameters(model->parameters(), InitScheme::kXavier, 1);
    model->to(device);  // before the optimizer: its momentum lives beside the parameters
    Sgd sgd(model->parameters(), SgdOptions{0.9, 5e-4, false});
    const Shape input = models::model_input_shape(spec);
    const Shape out = model->output_shape(input);
    std::shared_ptr<const ImageDataset> dataset;
    std::unique_ptr<SampleSource> source;
    if (data_path.empty()) {
      source = make_synthetic_source(batch, out[1], Shape{input[1], input[2], input[3]}, 7);
    } else {
      dataset = std::make_shared<const ImageDataset>(ImageDataset::open(data_path, parse_cache_mode(cache_mode)));
      dataset->wait_until_cached();  // from memory, as a long run's
      source = data_source(dataset, input);
      if (source->size() < batch) CONVOY_USER_ERROR(data_path, " holds fewer than one batch of images");
      if (source->num_classes() > out[1])
        CONVOY_USER_ERROR(data_path, " has ", source->num_classes(), " classes; the model has ", out[1],
                          " outputs (--num-classes)");
    }
    // Batches held in memory: the first few batches of the data (one batch of
    // synthetic images), loaded once, cycled through.
    std::vector<HeldBatch> held;
    {
      const int64_t count = std::min<int64_t>(8, source->size() / batch) * batch;
      Loader once(*source, batch, 0, 1);
      once.start(sequential_order(count), 0, 0, false);
      while (const LoadedBatch* b = once.next()) held.push_back({b->images.clone().to(device), b->labels, b->ids});
    }
    // The loader, as the trainers run it: buffers allocated once, a shuffled
    // order per epoch, `workers` threads preparing the next batches. Between
    // its rounds it is paused (workers idle), so that it neither steals time
    // from the in-memory rounds nor starts a round with batches made outside
    // it: each round starts from an empty pipeline, like an epoch.
    const std::unique_ptr<BatchUploader> uploader = make_batch_uploader(device);  // as the trainers feed a GPU
    std::unique_ptr<Loader> loader;
    std::vector<int64_t> loader_order;
    int64_t loader_epoch = 0, loader_batch = 0;
    const int64_t loader_batches = source->size() / batch;
    if (dataset) {
      loader = make_feeding_loader(*source, batch, workers, std::max(2, workers), *uploader);
      loader_order = shuffled_order(source->size(), 1, 0);
    }
    auto resume_loader = [&] { loader->start(loader_order, loader_epoch, loader_batch, false); };
    auto pause_loader = [&] { loader->start({}, loader_epoch, 0, false); };
    auto next_from_loader = [&]() -> const LoadedBatch& {
      if (loader_batch == loader_batches) {
        loader_order = shuffled_order(source->size(), 1, ++loader_epoch);
        loader_batch = 0;
        resume_loader();
      }
      ++loader_batch;
      return *loader->next();
    };
    const Tensor& images = held[0].images;
    const std::vector<int32_t>& labels = held[0].labels;
    const std::vector<int64_t>& ids = held[0].ids;
    SoftmaxCrossEntropy loss;
    int64_t step = 0;
    auto context = [&] {
      StepContext ctx;
      ctx.training = true;
      ctx.seed = 1;
      ctx.step = static_cast<uint64_t>(step);
      ctx.sample_ids = ids;
      return ctx;
    };
    auto train_on = [&](const Tensor& x, const std::vector<int32_t>& y, const std::vector<int64_t>& sample_ids) {
      StepContext ctx = context();
      ctx.sample_ids = sample_ids;
      const Tensor& logits = model->forward(x, ctx);
      loss.forward(logits, y);
      model->backward(loss.grad_logits(), false, {});
      sgd.step(0.01);
      ++step;
    };
    auto train_step = [&] {  // on a batch held in memory
      const HeldBatch& b = held[static_cast<size_t>(step) % held.size()];
      train_on(b.images, b.labels, b.ids);
    };
    auto loader_step = [&] {
      const LoadedBatch& b = next_from_loader();
      train_on(upload_batch(*uploader, b, batch), b.labels, b.ids);
    };
    auto timed_round = [&](const std::function<void()>& one_step) {
      synchronize(device);  // nothing of the warm-up or the last round still queued
      const auto start = Clock::now();
      for (int64_t i = 0; i < steps; ++i) one_step();
      synchronize(device);  // the last step's work, queued on a GPU, is done
      return static_cast<double>(steps * batch) * 1000.0 / ms_since(start);
    };

    for (int64_t i = 0; i < warmup; ++i) train_step();
    if (loader) {
      resume_loader();
      for (int64_t i = 0; i < warmup; ++i) loader_step();
      pause_loader();
    }
    // Alternating rounds, so that both inputs see the same machine.
    std::vector<double> rates, loader_rates, ratios;
    for (int64_t r = 0; r < repeats; ++r) {
      rates.push_back(timed_round(train_step));
      if (!loader) continue;
      resume_loader();
      loader_rates.push_back(timed_round(loader_step));
      pause_loader();
      ratios.push_back(loader_rates.back() / rates.back());
    }

    if (per_layer) {
      LayerTimes times;
      const size_t n = model->size();
      times.forward_ms.assign(n, 0.0);
      times.backward_ms.assign(n, 0.0);
      double loss_ms = 0, sgd_ms = 0;
      // On a GPU each piece's time is its work's, not its launch's: wait for it.
      auto done_since = [&](Clock::time_point t) {
        synchronize(device);
        return ms_since(t);
      };
      synchronize(device);
      for (int64_t i = 0; i < steps; ++i) {
        const StepContext ctx = context();
        const Tensor* x = &images;
        for (size_t l = 0; l < n; ++l) {
          const auto t = Clock::now();
          x = &model->at(l).forward(*x, ctx);
          times.forward_ms[l] += done_since(t);
        }
        auto t = Clock::now();
        loss.forward(*x, labels);
        loss_ms += done_since(t);
        const Tensor* g = &loss.grad_logits();
        for (size_t l = n; l-- > 0;) {
          t = Clock::now();
          g = &model->at(l).backward(*g, l > 0, {});
          times.backward_ms[l] += done_since(t);
        }
        t = Clock::now();
        sgd.step(0.01);
        sgd_ms += done_since(t);
        ++step;
      }
      const double total = std::accumulate(times.forward_ms.begin(), times.forward_ms.end(), 0.0) +
                           std::accumulate(times.backward_ms.begin(), times.backward_ms.end(), 0.0) +
                           loss_ms + sgd_ms;
      std::printf("\nper-layer time per step (ms), %s batch %lld, mean of %lld steps\n",
                  model_name.c_str(), static_cast<long long>(batch), static_cast<long long>(steps));
      std::printf("%-10s %-11s %10s %10s %8s\n", "layer", "kind", "forward", "backward", "share");
      for (size_t l = 0; l < n; ++l)
        std::printf("%-10s %-11s %10.3f %10.3f %7.1f%%\n", model->at(l).name().c_str(),
                    model->at(l).kind().c_str(), times.forward_ms[l] / steps,
                    times.backward_ms[l] / steps,
                    100.0 * (times.forward_ms[l] + times.backward_ms[l]) / total);
      std::printf("%-10s %-11s %10.3f %10s %7.1f%%\n", "loss", "softmax_xent", loss_ms / steps, "",
                  100.0 * loss_ms / total);
      std::printf("%-10s %-11s %10s %10.3f %7.1f%%\n", "sgd", "update", "", sgd_ms / steps,
                  100.0 * sgd_ms / total);
      if (!per_layer_csv.empty()) {
        std::ofstream csv(per_layer_csv);
        csv << "layer,kind,forward_ms,backward_ms,batch,threads\n";
        for (size_t l = 0; l < n; ++l)
          csv << model->at(l).name() << "," << model->at(l).kind() << "," << times.forward_ms[l] / steps << ","
              << times.backward_ms[l] / steps << "," << batch << "," << compute_threads() << "\n";
        csv << "loss,softmax_xent," << loss_ms / steps << ",0," << batch << "," << compute_threads() << "\n";
        csv << "sgd,update,0," << sgd_ms / steps << "," << batch << "," << compute_threads() << "\n";
        if (!csv) CONVOY_USER_ERROR("cannot write ", per_layer_csv);
      }
    }

    const double rate = median(rates);
    const double gflops = rate * 3.0 * forward_flops(model_name) / 1e9;
    std::printf("\n%-8s %-7s %6s %8s %12s %12s %10s\n", "model", "device", "batch", "threads", "img/s (med)",
                "min..max", "GFLOP/s");
    std::printf("%-8s %-7s %6lld %8d %12.1f %5.0f..%-6.0f %10.1f\n", model_name.c_str(), to_string(device).c_str(),
                static_cast<long long>(batch), compute_threads(), rate,
                *std::min_element(rates.begin(), rates.end()),
                *std::max_element(rates.begin(), rates.end()), gflops);
    if (loader) {
      const double loader_rate = median(loader_rates), ratio = median(ratios);
      std::printf("\ninput from %s (%s, %lld images, %s batches), %d loader worker(s), %lld steps a round, %lld rounds\n",
                  data_path.c_str(), dataset->is_jpeg() ? "jpeg" : "raw", static_cast<long long>(dataset->size()),
                  feed_name(*loader), workers, static_cast<long long>(steps), static_cast<long long>(repeats));
      std::printf("%-28s %12s %16s\n", "input", "img/s (med)", "min..max");
      std::printf("%-28s %12.1f %7.1f..%-8.1f\n", "batches already in memory", rate,
                  *std::min_element(rates.begin(), rates.end()), *std::max_element(rates.begin(), rates.end()));
      std::printf("%-28s %12.1f %7.1f..%-8.1f\n", "through the loader", loader_rate,
                  *std::min_element(loader_rates.begin(), loader_rates.end()),
                  *std::max_element(loader_rates.begin(), loader_rates.end()));
      std::printf("loader / memory, median of paired rounds: %.3f (%+.1f%%)\n", ratio, 100.0 * (ratio - 1.0));
      std::printf("summary model=%s device=%s precision=%s batch=%lld threads=%d img_per_s=%.1f gflops=%.1f workers=%d "
                  "loader_img_per_s=%.1f loader_vs_memory=%.3f feed=%s\n",
                  model_name.c_str(), to_string(device).c_str(), precision_name.c_str(), static_cast<long long>(batch), compute_threads(),
                  rate, gflops, workers,
                  loader_rate, ratio, loader->format() == BatchFormat::kPixels ? "pixels" : "float");
      return 0;
    }
    std::printf("summary model=%s device=%s precision=%s batch=%lld threads=%d img_per_s=%.1f gflops=%.1f\n",
                model_name.c_str(), to_string(device).c_str(), precision_name.c_str(), static_cast<long long>(batch), compute_threads(), rate,
                gflops);
    return 0;
  });
}
