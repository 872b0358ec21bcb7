// bench_allreduce: all-reduce time and bandwidth of the communicator the
// trainers use (MPI on its communication thread), from 4 B to 256 MiB, as
// nccl-tests report it: algbw = bytes / time, busbw = algbw x 2(n-1)/n (the
// bytes each rank's link carries in a ring, so figures compare across rank
// counts). Run it under mpirun:
//   mpirun -np 2 build/bin/bench_allreduce
//   mpirun -np 2 build/bin/bench_allreduce --algorithm ring --csv ring.csv
// --algorithm forces one of Open MPI's tuned algorithms (default: Open MPI
// chooses per size). Last line: "summary key=value ...".
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>

#include "benchmarks/bench_stats.h"
#include "distributed/job_setup.h"
#include "launch/trainer/command_line.h"
#include "launch/trainer/train_program.h"

namespace po = boost::program_options;
using namespace convoy;
using bench::Clock;

namespace {

// Open MPI 4.1's coll_tuned_allreduce_algorithm values.
const std::map<std::string, int> kAlgorithms{{"auto", 0},          {"basic_linear", 1}, {"nonoverlapping", 2},
                                            {"recursive_doubling", 3}, {"ring", 4},         {"segmented_ring", 5},
                                            {"rabenseifner", 6}};

int64_t parse_bytes(const std::string& text) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  const std::string unit(end);
  if (unit == "K" || unit == "k") value *= 1024;
  else if (unit == "M") value *= 1024 * 1024;
  else if (unit == "G") value *= 1024.0 * 1024 * 1024;
  else if (!unit.empty()) CONVOY_USER_ERROR("cannot read the size '", text, "' (use e.g. 4, 64K, 256M)");
  return static_cast<int64_t>(value);
}

std::string human(int64_t bytes) {
  char text[32];
  if (bytes >= (1 << 20)) std::snprintf(text, sizeof text, "%lld MiB", static_cast<long long>(bytes >> 20));
  else if (bytes >= 1024) std::snprintf(text, sizeof text, "%lld KiB", static_cast<long long>(bytes >> 10));
  else std::snprintf(text, sizeof text, "%lld B", static_cast<long long>(bytes));
  return text;
}


// The slowest rank's mean time of one all-reduce of `count` floats, in us:
// rank 0's estimate of one decides everyone's iteration count (about
// `seconds` in all), and the all-reduces are queued back to back.
double time_all_reduce(Communicator& comm, std::vector<float>& buffer, int64_t count, int warmup, double seconds,
                       int64_t& iterations) {
  for (int i = 0; i < warmup; ++i) comm.all_reduce_sum(buffer.data(), count, DataType::kFloat32, "warm-up");
  comm.barrier("bench");
  auto start = Clock::now();
  comm.all_reduce_sum(buffer.data(), count, DataType::kFloat32, "probe");
  iterations = std::clamp<int64_t>(static_cast<int64_t>(seconds * 1000.0 / std::max(bench::ms_since(start), 1e-3)), 5,
                                   10000);
  comm.broadcast(&iterations, sizeof iterations, 0, "iterations");
  comm.barrier("bench");
  start = Clock::now();
  std::shared_ptr<Work> last;
  for (int64_t i = 0; i < iterations; ++i)
    last = comm.all_reduce_sum_async(buffer.data(), count, DataType::kFloat32, "timed all-reduce");
  last->wait();
  const double mine_us = bench::ms_since(start) * 1000.0 / static_cast<double>(iterations);
  double time_us = 0;
  for (const double t : all_gather_values(comm, mine_us, "times")) time_us = std::max(time_us, t);
  return time_us;
}

// Correctness: rank r contributes (r + 1) * (i % 13 + 1); the elements whose
// sum is not what it must be (the buffer is all ones again afterwards).
int64_t count_wrong_sums(Communicator& comm, std::vector<float>& buffer, int64_t count) {
  const int n = comm.size();
  for (int64_t i = 0; i < count; ++i) buffer[static_cast<size_t>(i)] = static_cast<float>((comm.rank() + 1) * (i % 13 + 1));
  comm.all_reduce_sum(buffer.data(), count, DataType::kFloat32, "check");
  const float ranks_sum = static_cast<float>(n * (n + 1) / 2);
  int64_t wrong = 0;
  for (int64_t i = 0; i < count; ++i) wrong += buffer[static_cast<size_t>(i)] != ranks_sum * static_cast<float>(i % 13 + 1);
  for (int64_t i = 0; i < count; ++i) buffer[static_cast<size_t>(i)] = 1.0f;
  return wrong;
}

}  // namespace

int main(int argc, char** argv) {
  std::string min_text = "4", max_text = "256M", algorithm = "auto", csv;
  double factor = 2.0, seconds_per_size = 0.2;
  int warmup = 3;
  po::options_description desc("bench_allreduce options (run under mpirun)");
  desc.add_options()("min-bytes,b", convoy::option_value(&min_text), "smallest message")
      ("max-bytes,e", convoy::option_value(&max_text), "largest message")
      ("factor,f", convoy::option_value(&factor), "size multiplier between rows")
      ("warmup", convoy::option_value(&warmup), "untimed all-reduces per size")
      ("seconds", convoy::option_value(&seconds_per_size), "about this long timed per size")
      ("algorithm", convoy::option_value(&algorithm),
       "auto | basic_linear | nonoverlapping | recursive_doubling | ring | segmented_ring | rabenseifner")
      ("csv", po::value(&csv), "also write the table to this CSV file")
      ("help,h", "show this help");
  po::variables_map vm;
  const int parsed = run_guarded("bench_allreduce", [&] {
    if (!parse_command_line(argc, argv, desc, nullptr, vm)) return 2;
    if (!kAlgorithms.count(algorithm)) CONVOY_USER_ERROR("unknown --algorithm '", algorithm, "'");
    if (factor <= 1.0) CONVOY_USER_ERROR("--factor must be > 1");
    return 0;
  });
  if (parsed == 2) return 0;
  if (parsed != 0) return parsed;
  if (algorithm != "auto") {  // read by Open MPI's tuned component when MPI starts
    setenv("OMPI_MCA_coll_tuned_use_dynamic_rules", "1", 1);
    setenv("OMPI_MCA_coll_tuned_allreduce_algorithm", std::to_string(kAlgorithms.at(algorithm)).c_str(), 1);
  }
  std::unique_ptr<Communicator> comm = make_communicator();
  return run_guarded("bench_allreduce", [&] {
    const int n = comm->size();
    const bool root = comm->rank() == 0;
    const int64_t min_bytes = std::max<int64_t>(4, parse_bytes(min_text)), max_bytes = parse_bytes(max_text);
    std::vector<float> buffer(static_cast<size_t>(max_bytes / 4 + 1), 1.0f);  // allocated and touched once
    if (root) {
      std::printf("# %s, all-reduce (sum, float, in place) through the communication thread, algorithm %s\n",
                  comm->describe().c_str(), algorithm.c_str());
      if (n == 1) std::printf("# one process: run it under mpirun -np N to measure communication\n");
      std::printf("%12s %12s %12s %10s %10s %8s %7s\n", "size", "count", "time (us)", "algbw GB/s", "busbw GB/s",
                  "#wrong", "iters");
    }
    std::ofstream out;
    if (root && !csv.empty()) {
      out.open(csv);
      out << "bytes,count,time_us,algbw_gbps,busbw_gbps,wrong,ranks,algorithm\n";
    }
    double peak_busbw = 0, small_us = 0;
    for (double size = static_cast<double>(min_bytes); size <= static_cast<double>(max_bytes) * 1.0001; size *= factor) {
      const int64_t count = std::max<int64_t>(1, static_cast<int64_t>(size) / 4), bytes = count * 4;
      int64_t iterations = 0;
      const double time_us = time_all_reduce(*comm, buffer, count, warmup, seconds_per_size, iterations);
      const int64_t wrong = count_wrong_sums(*comm, buffer, count);
      const double algbw = static_cast<double>(bytes) / (time_us * 1e-6) / 1e9;
      const double busbw = algbw * 2.0 * (n - 1) / std::max(n, 1);
      peak_busbw = std::max(peak_busbw, busbw);
      if (bytes <= 8) small_us = time_us;
      if (root) {
        std::printf("%12s %12lld %12.1f %10.3f %10.3f %8lld %7lld\n", human(bytes).c_str(), static_cast<long long>(count),
                    time_us, algbw, busbw, static_cast<long long>(wrong), static_cast<long long>(iterations));
        std::fflush(stdout);
        if (out.is_open())
          out << bytes << "," << count << "," << time_us << "," << algbw << "," << busbw << "," << wrong << "," << n << ","
              << algorithm << "\n";
      }
    }
    if (root)
      std::printf("summary ranks=%d algorithm=%s small_message_us=%.1f peak_busbw_gbps=%.3f\n", n, algorithm.c_str(),
                  small_us, peak_busbw);
    return 0;
  });
}
