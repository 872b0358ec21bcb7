// bench_scaling: training throughput of LeNet-5 and AlexNet at 1..N ranks on
// this machine, the question "what do more ranks buy?". Run with no arguments
// it runs the whole sweep itself, calling mpirun:
//   - weak scaling (fixed per-rank batch B): efficiency = images/s of N ranks
//     x C/N threads at B each / images/s of 1 rank x C threads at B (C: cores);
//   - strong scaling (fixed global batch G): speedup = images/s of N ranks at
//     G/N each / images/s of 1 rank at G;
//   - the hidden share of AlexNet's all-reduce: 1 - median exposed wait
//     (the time the optimizer waited for communication) / median time of the
//     same buckets' all-reduce run alone, measured in the same job;
//   - AlexNet at N ranks without overlap (all-reduce after backward), for comparison.
// Configurations run in alternating rounds and medians are reported (the
// machine is shared and noisy). Writes a CSV and, where python3 with
// matplotlib is found, a PNG (scripts/plot_scaling.py). Last line:
// "summary lenet_weak_eff=... alexnet_weak_eff=... alexnet_hidden=...
// lenet_strong_speedup=... alexnet_strong_speedup=...".
//
// One measurement (what the sweep runs, under mpirun or alone):
//   bench_scaling --measure --model alexnet --batch-size 32 --threads 1 --steps 6
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "benchmarks/bench_stats.h"
#include "core/threads.h"
#include "data_pipeline/sample_source.h"
#include "distributed/data_parallel.h"
#include "distributed/job_setup.h"
#include "launch/trainer/command_line.h"
#include "launch/trainer/train_program.h"
#include "models/registry.h"
#include "nn/init.h"
#include "nn/loss.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace convoy;
using bench::Clock;
using bench::median;
using bench::ms_since;

namespace {

struct Measure {
  std::string model = "lenet5";
  int64_t batch = 64;
  int threads = 0;
  int64_t steps = 100, warmup = 3;
  bool no_overlap = false;
};

// One measurement: every rank trains on a batch held in memory; rank 0 prints
// one "result {json}" line.
int run_measure(const Measure& m) {
  std::unique_ptr<Communicator> comm = make_communicator();
  if (m.threads > 0) set_compute_threads(m.threads);
  const models::ModelSpec spec{m.model, 0, 0};
  auto model = models::make_model(spec);
  initialize_parameters(model->parameters(), InitScheme::kXavier, 1);
  Sgd sgd(model->parameters(), SgdOptions{0.9, 5e-4, false});
  DataParallelOptions options;
  options.reducer.overlap = !m.no_overlap;
  DataParallel ddp(*model, sgd, *comm, options);
  ddp.broadcast_parameters(false);
  const Shape input = models::model_input_shape(spec);
  auto source = make_synthetic_source(m.batch, model->output_shape(input)[1], Shape{input[1], input[2], input[3]},
                                      7 + static_cast<uint64_t>(comm->rank()));
  source->prepare_workers(1);
  Tensor images = Tensor::empty(input.with_batch(m.batch));
  std::vector<int32_t> labels(static_cast<size_t>(m.batch));
  std::vector<int64_t> ids(static_cast<size_t>(m.batch));
  for (int64_t i = 0; i < m.batch; ++i) {
    labels[static_cast<size_t>(i)] = source->load(i, 0, images.data() + i * input.per_sample(), 0);
    ids[static_cast<size_t>(i)] = comm->rank() * m.batch + i;
  }
  SoftmaxCrossEntropy loss;
  StepContext ctx;
  ctx.training = true;
  ctx.sample_ids = ids;
  std::vector<double> step_ms, wait_ms;
  comm->barrier("start");
  for (int64_t s = 0; s < m.warmup + m.steps; ++s) {
    ctx.step = static_cast<uint64_t>(s);
    const auto start = Clock::now();
    loss.forward(model->forward(images, ctx), labels);
    ddp.backward(loss.grad_logits());
    ddp.step(0.01);
    if (s >= m.warmup) {
      step_ms.push_back(ms_since(start));
      wait_ms.push_back(ddp.last_wait_ms());
    }
  }
  // The same buckets' all-reduce alone: what overlap hides (or not).
  std::vector<double> alone_ms;
  const auto& buckets = ddp.reducer().buckets();
  std::vector<float> scratch(static_cast<size_t>(ddp.reducer().total_elements()), 0.0f);
  for (int r = 0; r < (comm->size() > 1 ? 5 : 0); ++r) {
    comm->barrier("all-reduce alone");
    const auto start = Clock::now();
    std::vector<std::shared_ptr<Work>> works;
    for (const GradientBucket& b : buckets)
      works.push_back(comm->all_reduce_sum_async(scratch.data() + b.offset, b.count, DataType::kFloat32, b.label));
    for (auto& w : works) w->wait();
    alone_ms.push_back(ms_since(start));
  }
  // The slowest rank's medians decide.
  struct Figures {
    double step_ms, wait_ms, alone_ms;
  } mine{median(step_ms), median(wait_ms), median(alone_ms)}, worst{0, 0, 0};
  for (const Figures& f : all_gather_values(*comm, mine, "results")) {
    worst.step_ms = std::max(worst.step_ms, f.step_ms);
    worst.wait_ms = std::max(worst.wait_ms, f.wait_ms);
    worst.alone_ms = std::max(worst.alone_ms, f.alone_ms);
  }
  if (comm->rank() == 0) {
    const double global_batch = static_cast<double>(m.batch * comm->size());
    std::printf("result %s\n", nlohmann::json{{"model", m.model},
                                              {"ranks", comm->size()},
                                              {"threads", compute_threads()},
                                              {"batch", m.batch},
                                              {"overlap", !m.no_overlap},
                                              {"step_ms", worst.step_ms},
                                              {"images_per_sec", global_batch * 1000.0 / worst.step_ms},
                                              {"wait_ms", worst.wait_ms},
                                              {"alone_ms", worst.alone_ms},
                                              {"buckets", buckets.size()}}
                                       .dump()
                                       .c_str());
    std::fflush(stdout);
  }
  return 0;
}

// ---- the sweep ----

struct Config {
  std::string model, kind;  // kind: "weak" | "strong" | "no-overlap"
  int ranks;
  int64_t batch;  // per rank
  int threads;
  bool overlap = true;
  std::vector<nlohmann::json> results{};
  std::string key() const {
    return model + "/" + std::to_string(ranks) + "/" + std::to_string(batch) + "/" + (overlap ? "o" : "n");
  }
};

std::string self_path() { return fs::read_symlink("/proc/self/exe").string(); }

nlohmann::json run_config(const Config& c, int64_t steps) {
  std::ostringstream command;
  const std::string measure = self_path() + " --measure --model " + c.model + " --batch-size " +
                              std::to_string(c.batch) + " --threads " + std::to_string(c.threads) + " --steps " +
                              std::to_string(steps) + (c.overlap ? "" : " --no-overlap");
  // One rank runs alone (not under mpirun, which would bind it to one core).
  if (c.ranks == 1) command << measure;
  else command << "mpirun -np " << c.ranks << " " << measure;
  command << " 2>&1";
  FILE* pipe = ::popen(command.str().c_str(), "r");
  CONVOY_CHECK(pipe, "cannot run ", command.str());
  std::string output, line;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  const int status = ::pclose(pipe);
  std::istringstream lines(output);
  while (std::getline(lines, line))
    if (line.rfind("result ", 0) == 0) return nlohmann::json::parse(line.substr(7));
  CONVOY_USER_ERROR("the measurement '", command.str(), "' failed (status ", status, "):\n", output);
}

struct ModelSetup {
  std::string name;
  int64_t batch, strong_batch, steps;
};
const std::vector<ModelSetup> kModels{{"lenet5", 64, 256, 200}, {"alexnet", 32, 64, 6}};

// Weak and strong scaling at 1, 2, 4 ... max_ranks ranks (one run where both
// ask the same), and AlexNet without overlap at max_ranks.
std::vector<Config> plan_configs(int max_ranks, int cores) {
  std::vector<Config> configs;
  auto add = [&](Config c) {
    for (Config& existing : configs)
      if (existing.key() == c.key()) {  // one run serves both questions
        existing.kind += "+" + c.kind;
        return;
      }
    configs.push_back(std::move(c));
  };
  for (const ModelSetup& m : kModels) {
    for (int ranks = 1; ranks <= max_ranks; ranks *= 2) {
      const int threads = std::max(1, cores / ranks);
      add({m.name, "weak", ranks, m.batch, threads});
      if (m.strong_batch % ranks == 0) add({m.name, "strong", ranks, m.strong_batch / ranks, threads});
    }
    if (max_ranks > 1 && m.name == "alexnet") {
      Config c{m.name, "no-overlap", max_ranks, m.batch, std::max(1, cores / max_ranks)};
      c.overlap = false;
      add(c);
    }
  }
  return configs;
}

double median_of(const Config& c, const char* field) {
  std::vector<double> v;
  for (const auto& r : c.results) v.push_back(r[field].get<double>());
  return median(v);
}

const Config* find_config(const std::vector<Config>& configs, const std::string& model, int ranks, int64_t batch,
                          bool overlap = true) {
  for (const Config& c : configs)
    if (c.model == model && c.ranks == ranks && c.batch == batch && c.overlap == overlap) return &c;
  return nullptr;
}

// The table on stdout and in the CSV: each configuration's medians and its
// ratio against 1 rank (weak: same batch per rank; strong: same global batch).
void print_table(const std::vector<Config>& configs, const std::string& csv) {
  std::printf("\n%-8s %-11s %5s %7s %10s %12s %10s %10s %12s %11s %9s\n", "model", "scaling", "ranks", "threads",
              "batch/rank", "global batch", "images/s", "step ms", "exposed ms", "alone ms", "ratio");
  std::ofstream out(csv);
  out << "model,scaling,ranks,threads,batch_per_rank,global_batch,images_per_sec,step_ms,exposed_ms,alone_ms,ratio\n";
  for (const ModelSetup& m : kModels)
    for (const Config& c : configs) {
      if (c.model != m.name) continue;
      const bool strong = c.kind.find("strong") != std::string::npos;
      const Config* base = strong && c.kind.find("weak") == std::string::npos
                               ? find_config(configs, m.name, 1, m.strong_batch)
                               : find_config(configs, m.name, 1, m.batch);
      const double rate = median_of(c, "images_per_sec");
      const double ratio = base ? rate / median_of(*base, "images_per_sec") : 0.0;  // efficiency or speedup
      std::printf("%-8s %-11s %5d %7d %10lld %12lld %10.1f %10.2f %12.2f %11.2f %9.3f\n", c.model.c_str(),
                  c.kind.c_str(), c.ranks, c.threads, static_cast<long long>(c.batch),
                  static_cast<long long>(c.batch * c.ranks), rate, median_of(c, "step_ms"), median_of(c, "wait_ms"),
                  median_of(c, "alone_ms"), ratio);
      out << c.model << "," << c.kind << "," << c.ranks << "," << c.threads << "," << c.batch << ","
          << c.batch * c.ranks << "," << rate << "," << median_of(c, "step_ms") << "," << median_of(c, "wait_ms")
          << "," << median_of(c, "alone_ms") << "," << ratio << "\n";
    }
}

// The summary line's figures at max_ranks.
std::map<std::string, double> summarise(const std::vector<Config>& configs, int max_ranks) {
  std::map<std::string, double> summary;
  if (max_ranks < 2) return summary;
  for (const ModelSetup& m : kModels) {
    const std::string short_name = m.name == "lenet5" ? "lenet" : "alexnet";
    if (const Config* weak = find_config(configs, m.name, max_ranks, m.batch)) {
      summary[short_name + "_weak_eff"] =
          median_of(*weak, "images_per_sec") / median_of(*find_config(configs, m.name, 1, m.batch), "images_per_sec");
      if (m.name == "alexnet")
        summary["alexnet_hidden"] = 1.0 - median_of(*weak, "wait_ms") / median_of(*weak, "alone_ms");
    }
    if (const Config* strong = find_config(configs, m.name, max_ranks, m.strong_batch / max_ranks))
      summary[short_name + "_strong_speedup"] = median_of(*strong, "images_per_sec") /
                                                median_of(*find_config(configs, m.name, 1, m.strong_batch), "images_per_sec");
  }
  return summary;
}

int run_sweep(int rounds, int max_ranks, const std::string& csv, const std::string& png) {
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  if (max_ranks <= 0) max_ranks = cores;
  if (::geteuid() == 0) {  // mpirun refuses root unless told; a detail of CI machines
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
  }
  setenv("OMP_WAIT_POLICY", "ACTIVE", 0);
  std::vector<Config> configs = plan_configs(max_ranks, cores);
  std::printf("bench_scaling: %zu configurations x %d rounds (alternating), %d cores, OMP_WAIT_POLICY=%s\n",
              configs.size(), rounds, cores, std::getenv("OMP_WAIT_POLICY"));
  for (int round = 0; round < rounds; ++round)
    for (Config& c : configs) {
      const int64_t steps = c.model == "lenet5" ? 200 : 6;
      c.results.push_back(run_config(c, steps));
      std::fprintf(stderr, "round %d/%d: %-8s %d rank(s) x %d thread(s), batch %lld%s: %.1f img/s\n", round + 1,
                   rounds, c.model.c_str(), c.ranks, c.threads, static_cast<long long>(c.batch),
                   c.overlap ? "" : " (no overlap)", c.results.back()["images_per_sec"].get<double>());
    }
  print_table(configs, csv);
  std::map<std::string, double> summary = summarise(configs, max_ranks);
  std::printf("\nratio: weak-scaling efficiency against 1 rank x %d threads at the same per-rank batch, or (strong "
              "only) speedup against 1 rank at the same global batch (on one machine the cores stay the same: ideal "
              "1.0); exposed: the optimizer's wait for the all-reduce; alone: the same buckets' all-reduce run by "
              "itself.\nCSV: %s\n",
              cores, csv.c_str());
  const std::string plot = std::string(CONVOY_SOURCE_DIR) + "/scripts/plot_scaling.py";
  if (!png.empty() && fs::exists(plot)) {
    const std::string command = "/usr/bin/python3 " + plot + " " + csv + " " + png + " 2>&1";
    if (std::system(command.c_str()) == 0) std::printf("plot: %s\n", png.c_str());
    else std::printf("no plot: %s needs python3 with matplotlib (apt-get install python3-matplotlib)\n", plot.c_str());
  }
  std::printf("summary lenet_weak_eff=%.3f alexnet_weak_eff=%.3f alexnet_hidden=%.3f lenet_strong_speedup=%.3f "
              "alexnet_strong_speedup=%.3f\n",
              summary["lenet_weak_eff"], summary["alexnet_weak_eff"], summary["alexnet_hidden"],
              summary["lenet_strong_speedup"], summary["alexnet_strong_speedup"]);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Measure m;
  bool measure = false;
  int rounds = 3, max_ranks = 0;
  std::string csv = "bench_scaling.csv", png = "bench_scaling.png";
  po::options_description desc("bench_scaling options (no options: the whole sweep)");
  desc.add_options()("rounds", convoy::option_value(&rounds), "alternating rounds (medians reported)")
      ("max-ranks", convoy::option_value(&max_ranks), "largest rank count (0: the cores)")
      ("csv", convoy::option_value(&csv), "table as CSV")
      ("png", convoy::option_value(&png), "plot (empty: none)")
      ("measure", po::bool_switch(&measure), "one measurement (what the sweep runs)")
      ("model", convoy::option_value(&m.model), "with --measure: lenet5 | alexnet")
      ("batch-size", convoy::option_value(&m.batch), "with --measure: per-rank batch")
      ("threads", convoy::option_value(&m.threads), "with --measure: threads per rank")
      ("steps", convoy::option_value(&m.steps), "with --measure: timed steps")
      ("no-overlap", po::bool_switch(&m.no_overlap), "with --measure: all-reduce after backward")
      ("help,h", "show this help");
  po::variables_map vm;
  return run_guarded("bench_scaling", [&] {
    if (!parse_command_line(argc, argv, desc, nullptr, vm)) return 0;
    return measure ? run_measure(m) : run_sweep(rounds, max_ranks, csv, png);
  });
}
