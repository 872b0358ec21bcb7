// bench_lockstep: the compute of N training processes that step in lockstep
// on this machine's shared cores, as N data-parallel ranks do on one machine
// (the namespace cluster): each process trains its own copy of the model on
// a synthetic batch, and a process-shared barrier starts every step on all
// of them together. A step lasts until the last process has finished it, so
// when the processes outnumber the cores, how the scheduler hands out the
// cores decides the step: with steps of a few milliseconds (about a time
// slice), two processes finish and the third runs alone afterwards (2x one
// process's time on 2 cores, not the 1.5x of a perfect share).
//
//   bench_lockstep --model lenet5 --batch-size 64 --threads 1 --processes 2,3
//
// For each process count (1 is always measured, beside the others, in
// alternating rounds), the median step (first start to last finish) and its
// ratio to one process alone. Last line:
// "summary model=... slowdown_2=... slowdown_3=..." (the cluster model's --compute-scale).
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "benchmarks/bench_stats.h"
#include "core/threads.h"
#include "data_pipeline/loader.h"
#include "data_pipeline/sampler.h"
#include "launch/trainer/command_line.h"
#include "launch/trainer/train_program.h"
#include "models/registry.h"
#include "nn/init.h"
#include "nn/loss.h"
#include "optim/sgd.h"

namespace po = boost::program_options;
using namespace convoy;

namespace {

constexpr int kMaxProcesses = 16;
constexpr int kMaxSteps = 4096;

// Shared by the processes of one round: the barrier and, per process and
// step, when it started and finished (CLOCK_MONOTONIC is one clock for all).
struct Shared {
  pthread_barrier_t barrier;
  double start_ms[kMaxProcesses][kMaxSteps];
  double end_ms[kMaxProcesses][kMaxSteps];
};

double now_ms() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

struct Settings {
  std::string model = "lenet5";
  int64_t batch = 64, steps = 50, warmup = 5;
  int threads = 1;
};

// One process's part: build and train the model, `warmup` untimed steps then
// `steps` timed ones, each started at the barrier.
void train_in_lockstep(const Settings& s, Shared& shared, int me) {
  set_compute_threads(s.threads);
  const models::ModelSpec spec{s.model, 0, 0};
  auto model = models::make_model(spec);
  initialize_parameters(model->parameters(), InitScheme::kXavier, 1);
  Sgd sgd(model->parameters(), SgdOptions{0.9, 5e-4, false});
  const Shape input = models::model_input_shape(spec);
  auto source = make_synthetic_source(s.batch, model->output_shape(input)[1], Shape{input[1], input[2], input[3]}, 7);
  Loader once(*source, s.batch, 0, 1);
  once.start(sequential_order(s.batch), 0, 0, false);
  const LoadedBatch& batch = *once.next();
  SoftmaxCrossEntropy loss;
  for (int64_t step = 0; step < s.warmup + s.steps; ++step) {
    pthread_barrier_wait(&shared.barrier);
    const double start = now_ms();
    StepContext ctx;
    ctx.training = true;
    ctx.seed = 1;
    ctx.step = static_cast<uint64_t>(step);
    ctx.sample_ids = batch.ids;
    loss.forward(model->forward(batch.images, ctx), batch.labels);
    model->backward(loss.grad_logits(), false, {});
    sgd.step(0.01);
    if (step >= s.warmup) {
      shared.start_ms[me][step - s.warmup] = start;
      shared.end_ms[me][step - s.warmup] = now_ms();
    }
  }
}

// A round of `processes` processes; the median step, first start to last finish.
double lockstep_round(const Settings& s, Shared& shared, int processes) {
  pthread_barrierattr_t attr;
  pthread_barrierattr_init(&attr);
  pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_barrier_init(&shared.barrier, &attr, static_cast<unsigned>(processes));
  std::fflush(nullptr);  // or each child would print the parent's buffered output again
  std::vector<pid_t> children;
  for (int p = 0; p < processes; ++p) {
    const pid_t pid = fork();
    if (pid < 0) CONVOY_THROW("fork: ", std::strerror(errno));
    if (pid == 0) {
      int code = 0;
      try {
        train_in_lockstep(s, shared, p);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_lockstep: process %d: %s\n", p, e.what());
        code = 1;
      }
      std::fflush(nullptr);
      _exit(code);
    }
    children.push_back(pid);
  }
  bool failed = false;
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
  }
  pthread_barrier_destroy(&shared.barrier);
  if (failed) CONVOY_THROW("a process of the ", processes, "-process round failed");
  std::vector<double> steps;
  for (int64_t i = 0; i < s.steps; ++i) {
    double first = 1e300, last = 0;
    for (int p = 0; p < processes; ++p) first = std::min(first, shared.start_ms[p][i]), last = std::max(last, shared.end_ms[p][i]);
    steps.push_back(last - first);
  }
  return bench::median(steps);
}

std::vector<int> parse_counts(const std::string& text) {
  std::vector<int> counts;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const int n = std::atoi(item.c_str());
    if (n < 1 || n > kMaxProcesses) CONVOY_USER_ERROR("--processes: '", item, "' is not a count from 1 to ", kMaxProcesses);
    counts.push_back(n);
  }
  if (counts.empty()) CONVOY_USER_ERROR("--processes: no count given");
  return counts;
}

}  // namespace

int main(int argc, char** argv) {
  return run_guarded("bench_lockstep", [&] {
    Settings s;
    std::string counts_text = "2,3";
    int64_t rounds = 3;
    po::options_description desc("bench_lockstep options");
    desc.add_options()("model", convoy::option_value(&s.model), "lenet5 | alexnet")
        ("batch-size", convoy::option_value(&s.batch), "images per step and process")
        ("threads", convoy::option_value(&s.threads), "compute threads per process")
        ("processes", convoy::option_value(&counts_text), "process counts, comma-separated")
        ("steps", convoy::option_value(&s.steps), "timed steps per round")
        ("warmup", convoy::option_value(&s.warmup), "untimed steps first")
        ("rounds", convoy::option_value(&rounds), "rounds per count, alternating with 1 process (medians)")
        ("help,h", "show this help");
    po::variables_map vm;
    if (!parse_command_line(argc, argv, desc, nullptr, vm)) return 0;
    if (s.steps < 1 || s.steps > kMaxSteps) CONVOY_USER_ERROR("--steps must be from 1 to ", kMaxSteps);
    if (s.batch < 1 || s.threads < 1 || s.warmup < 0 || rounds < 1)
      CONVOY_USER_ERROR("--batch-size, --threads and --rounds must be positive, --warmup not negative");
    const std::vector<int> counts = parse_counts(counts_text);
    void* memory = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) CONVOY_THROW("mmap: ", std::strerror(errno));
    Shared& shared = *static_cast<Shared*>(memory);

    std::printf("%s, batch %lld, %d thread(s) per process, %lld steps a round, %ld cores online\n", s.model.c_str(),
                static_cast<long long>(s.batch), s.threads, static_cast<long long>(s.steps), sysconf(_SC_NPROCESSORS_ONLN));
    std::printf("%-10s %14s %14s %10s\n", "processes", "step ms (med)", "alone ms", "slowdown");
    std::ostringstream summary;
    summary << "summary model=" << s.model << " batch=" << s.batch << " threads=" << s.threads;
    for (int n : counts) {
      std::vector<double> together, alone, ratios;
      for (int64_t r = 0; r < rounds; ++r) {
        alone.push_back(lockstep_round(s, shared, 1));
        together.push_back(lockstep_round(s, shared, n));
        ratios.push_back(together.back() / alone.back());
      }
      const double slowdown = bench::median(ratios);
      std::printf("%-10d %14.3f %14.3f %10.3f\n", n, bench::median(together), bench::median(alone), slowdown);
      summary << " slowdown_" << n << "=" << slowdown;
    }
    munmap(memory, sizeof(Shared));
    std::printf("%s\n", summary.str().c_str());
    return 0;
  });
}
