// bench_tensorboard: what one --tensorboard event costs the training thread
// (a step's seven scalars, serialised, framed and flushed to the file), so
// that its share of a step follows from the step time: at --log-every K,
// cost / (K x step time). Last line: summary key=value ...
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "benchmarks/bench_stats.h"
#include "launch/trainer/tensorboard_writer.h"

using namespace convoy;

int main(int argc, char** argv) {
  const int events = argc > 1 ? std::stoi(argv[1]) : 20000;
  const std::string folder = "/tmp/convoy_bench_tensorboard_" + std::to_string(::getpid());
  std::vector<double> microseconds;
  for (int round = 0; round < 5; ++round) {
    TensorBoardWriter writer(folder, -1);
    const auto start = bench::Clock::now();
    for (int i = 0; i < events; ++i)
      writer.scalars(i, {{"train/loss", 2.3 - i * 1e-5}, {"train/lr", 0.01}, {"train/images_per_sec", 21000.0},
                         {"train/skipped_steps", 0.0}, {"time/data_ms", 0.1}, {"time/compute_ms", 2.8},
                         {"time/allreduce_ms", 0.0}});
    microseconds.push_back(1000.0 * bench::ms_since(start) / events);
  }
  std::filesystem::remove_all(folder);
  const double per_event = bench::median(microseconds);
  std::printf("%-34s %10.2f\n", "microseconds an event (median of 5)", per_event);
  // LeNet-5 on 2 cores: about 2.8 ms a step at batch 64 (the fastest step convoy has).
  for (const int every : {1, 10})
    std::printf("share of a 2.8 ms step at --log-every %-3d %8.4f%%\n", every, 100.0 * per_event / (every * 2800.0));
  std::printf("summary events=%d us_per_event=%.2f share_lenet_log_every_1=%.4f share_lenet_log_every_10=%.4f\n",
              events, per_event, 100.0 * per_event / 2800.0, 100.0 * per_event / 28000.0);
  return 0;
}
