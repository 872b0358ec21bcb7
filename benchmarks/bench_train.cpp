// bench_train: training throughput (images/s) of LeNet-5 or AlexNet on
// synthetic data: forward, loss, backward and the SGD step, as train_* runs
// them. Medians of several repeats; optionally a per-layer forward/backward
// table showing where the time goes. Last line: "summary key=value ...".
#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <numeric>

#include "launch/command_line.h"
#include "core/threads.h"
#include "data_pipeline/loader.h"
#include "data_pipeline/sample_source.h"
#include "data_pipeline/sampler.h"
#include "launch/train_program.h"
#include "models/registry.h"
#include "nn/init.h"
#include "nn/loss.h"
#include "optim/sgd.h"

namespace po = boost::program_options;
using namespace convoy;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// Forward FLOPs per image (a multiply-add counts 2), from SPEC §1-§2.
double forward_flops(const std::string& model) { return model == "lenet5" ? 0.83e6 : 2.27e9; }

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
    po::options_description desc("bench_train options");
    desc.add_options()("model", po::value(&model_name)->default_value(model_name), "lenet5 | alexnet")
        ("batch-size", po::value(&batch)->default_value(batch), "images per step")
        ("steps", po::value(&steps)->default_value(steps), "timed steps per repeat")
        ("warmup", po::value(&warmup)->default_value(warmup), "untimed steps first")
        ("repeats", po::value(&repeats)->default_value(repeats), "repeats (the median is reported)")
        ("threads", po::value(&threads)->default_value(threads), "compute threads (0: default)")
        ("input-size", po::value(&input_size)->default_value(input_size), "input side (0: model default)")
        ("num-classes", po::value(&classes)->default_value(classes), "classes (0: model default)")
        ("per-layer", po::bool_switch(&per_layer), "also time each layer's forward and backward")
        ("help,h", "show this help");
    po::variables_map vm;
    if (!convoy::parse_command_line(argc, argv, desc, nullptr, vm)) return 0;
    set_compute_threads(threads);
    const models::ModelSpec spec{model_name, classes, input_size};
    auto model = models::make_model(spec);
    initialize_parameters(model->parameters(), InitScheme::kXavier, 1);
    Sgd sgd(model->parameters(), SgdOptions{0.9, 5e-4, false});
    const Shape input = models::model_input_shape(spec);
    const Shape out = model->output_shape(input);
    auto source = make_synthetic_source(batch, out[1],
                                        Shape{input[1], input[2], input[3]}, 7);
    // One batch, loaded once: this benchmark times training, not input (bench_pipeline does).
    Loader loader(*source, batch, 0, 1);
    loader.start(sequential_order(batch), 0, 0, false);
    const LoadedBatch& loaded = *loader.next();
    const Tensor& images = loaded.images;
    const std::vector<int32_t>& labels = loaded.labels;
    const std::vector<int64_t>& ids = loaded.ids;
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
    auto train_step = [&] {
      const Tensor& logits = model->forward(images, context());
      loss.forward(logits, labels);
      model->backward(loss.grad_logits(), false, nullptr);
      sgd.step(0.01);
      ++step;
    };

    for (int64_t i = 0; i < warmup; ++i) train_step();
    std::vector<double> rates;
    for (int64_t r = 0; r < repeats; ++r) {
      const auto start = Clock::now();
      for (int64_t i = 0; i < steps; ++i) train_step();
      rates.push_back(static_cast<double>(steps * batch) * 1000.0 / ms_since(start));
    }

    if (per_layer) {
      LayerTimes times;
      const size_t n = model->size();
      times.forward_ms.assign(n, 0.0);
      times.backward_ms.assign(n, 0.0);
      double loss_ms = 0, sgd_ms = 0;
      for (int64_t i = 0; i < steps; ++i) {
        const StepContext ctx = context();
        const Tensor* x = &images;
        for (size_t l = 0; l < n; ++l) {
          const auto t = Clock::now();
          x = &model->at(l).forward(*x, ctx);
          times.forward_ms[l] += ms_since(t);
        }
        auto t = Clock::now();
        loss.forward(*x, labels);
        loss_ms += ms_since(t);
        const Tensor* g = &loss.grad_logits();
        for (size_t l = n; l-- > 0;) {
          t = Clock::now();
          g = &model->at(l).backward(*g, l > 0, nullptr);
          times.backward_ms[l] += ms_since(t);
        }
        t = Clock::now();
        sgd.step(0.01);
        sgd_ms += ms_since(t);
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
    }

    const double rate = median(rates);
    const double gflops = rate * 3.0 * forward_flops(model_name) / 1e9;
    std::printf("\n%-8s %6s %8s %12s %12s %10s\n", "model", "batch", "threads", "img/s (med)",
                "min..max", "GFLOP/s");
    std::printf("%-8s %6lld %8d %12.1f %5.0f..%-6.0f %10.1f\n", model_name.c_str(),
                static_cast<long long>(batch), compute_threads(), rate,
                *std::min_element(rates.begin(), rates.end()),
                *std::max_element(rates.begin(), rates.end()), gflops);
    std::printf("summary model=%s batch=%lld threads=%d img_per_s=%.1f gflops=%.1f\n", model_name.c_str(),
                static_cast<long long>(batch), compute_threads(), rate, gflops);
    return 0;
  });
}
