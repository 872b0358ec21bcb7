// cluster_model: what a data-parallel step costs on a cluster, from what can
// be measured on one machine.
//
//   step = forward + loss + backward + exposed communication + optimizer
//
// Gradients leave in the reducer's buckets (the same layout code as training:
// reverse parameter order, 1 MiB, then --bucket-mb). A bucket is ready when
// backward has passed the layer of its last gradient; buckets are
// all-reduced one after another on the communication thread, each as a ring:
//   T(bytes) = 2(n-1) alpha + 2(n-1)/n x bytes / bandwidth,
// hierarchically on GPU nodes (reduce-scatter and all-gather over NVLink
// inside a node, a ring per NIC between nodes). What is still running when
// backward ends is exposed. Plus one small all-gather per step (the step
// report), 2(n-1) alpha.
//
// Two uses:
//   cluster_model predict --model alexnet --per-layer alexnet_layers.csv --allreduce links.csv --ranks 3 --cores 2
//       [--communication-cpu unshaped.csv] [--compute-scale 1.6] [--link-burst 32768]
//     the namespace cluster: per-layer times from `bench_train --per-layer --per-layer-csv`, alpha and bandwidth
//     fitted from `bench_allreduce --csv` on the links (alpha from the smallest message, bandwidth from the
//     messages within 4x of the model's bucket sizes). Ranks sharing cores slow compute: by --compute-scale, as
//     measured by bench_lockstep (N processes stepping together on the same cores), or else by
//     ranks x threads / cores (a perfect share, which steps of about a time slice do not get).
//     Where the hosts are one machine, moving bytes (TCP over veth) is work for the same cores: with
//     --communication-cpu, each rank's compute also pays the CPU time of its bytes, measured as the time per
//     byte of an all-reduce on unshaped links (CPU-bound there).
//   cluster_model h200 [--per-layer-alexnet A.csv --per-layer-lenet L.csv] [--csv out.csv] [--png out.png]
//     8 H200 per node, 1..64 nodes, per-GPU batch 128, from the step times and per-layer profiles measured on one
//     H200 (benchmarks/gpu/results/): tables with eight 400 Gb/s NICs per node, one NIC, and
//     eight NICs with bf16 gradients; the assumptions printed above them; last line
//     "summary alexnet_eff_64gpu=... lenet_eff_64gpu=..." (eight NICs, fp32 gradients, 8 nodes x 8 GPUs).
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "distributed/reducer.h"
#include "distributed/single_process_communicator.h"
#include "launch/trainer/command_line.h"
#include "launch/trainer/train_program.h"
#include "models/registry.h"

namespace po = boost::program_options;
using namespace convoy;

namespace {

struct LayerTime {
  std::string name;
  double forward_ms = 0, backward_ms = 0;
};
struct Profile {
  std::vector<LayerTime> layers;  // forward order
  double loss_ms = 0, sgd_ms = 0;
  int64_t batch = 0;
  double forward_total() const {
    double t = loss_ms;
    for (const auto& l : layers) t += l.forward_ms;
    return t;
  }
  double backward_total() const {
    double t = 0;
    for (const auto& l : layers) t += l.backward_ms;
    return t;
  }
  double step_ms() const { return forward_total() + backward_total() + sgd_ms; }
};

std::vector<std::vector<std::string>> read_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) CONVOY_USER_ERROR("cannot read '", path, "'");
  std::vector<std::vector<std::string>> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream fields(line);
    std::string cell;
    while (std::getline(fields, cell, ',')) cells.push_back(cell);
    if (!cells.empty()) rows.push_back(cells);
  }
  return rows;
}

// bench_train --per-layer-csv: layer,kind,forward_ms,backward_ms,batch,threads
Profile read_profile(const std::string& path) {
  Profile p;
  for (const auto& r : read_csv(path)) {
    if (r.size() < 5) CONVOY_USER_ERROR("'", path, "' is not a bench_train --per-layer-csv table");
    const double f = std::stod(r[2]), b = std::stod(r[3]);
    p.batch = std::stoll(r[4]);
    if (r[0] == "loss") p.loss_ms = f;
    else if (r[0] == "sgd") p.sgd_ms = b;
    else p.layers.push_back({r[0], f, b});
  }
  if (p.layers.empty()) CONVOY_USER_ERROR("'", path, "' holds no layers");
  return p;
}

// A ring all-reduce over n ranks: 2(n-1) alpha + 2(n-1)/n bytes / bandwidth.
struct Ring {
  double alpha_s = 0, bandwidth = 1;  // bytes/s
  double seconds(int n, double bytes) const {
    if (n <= 1) return 0;
    return 2.0 * (n - 1) * alpha_s + 2.0 * (n - 1) / n * bytes / bandwidth;
  }
};

// alpha from the smallest message; bandwidth, with alpha fixed, from the
// messages in [min_bytes, max_bytes] (the sizes of the buckets it will
// predict: on shaped TCP links throughput depends on the message size),
// minimising the relative errors; when fewer than two messages fall in that
// range, from all messages of 64 KiB and more.
// bench_allreduce --csv: bytes,count,time_us,...,ranks,...
Ring fit_links(const std::string& path, double min_bytes = 0, double max_bytes = 1e300) {
  const auto rows = read_csv(path);
  if (rows.empty() || rows[0].size() < 7) CONVOY_USER_ERROR("'", path, "' is not a bench_allreduce --csv table");
  const int n = std::stoi(rows[0][6]);
  if (n < 2) CONVOY_USER_ERROR("'", path, "' was measured on one rank: nothing to fit");
  Ring ring;
  const double latency = std::stod(rows[0][2]) * 1e-6;
  ring.alpha_s = latency / (2.0 * (n - 1));
  // t = latency + slope x bytes; minimise sum(((t_i - latency - slope x_i) / t_i)^2) over slope.
  auto fit = [&](double lo, double hi, double& slope) {
    double numerator = 0, denominator = 0;
    int m = 0;
    for (const auto& r : rows) {
      const double bytes = std::stod(r[0]), t = std::stod(r[2]) * 1e-6;
      if (bytes < std::max(lo, 65536.0) || bytes > hi) continue;
      numerator += bytes * (t - latency) / (t * t);
      denominator += bytes * bytes / (t * t);
      ++m;
    }
    if (m >= 2) slope = numerator / denominator;
    return m >= 2;
  };
  double slope = 0;
  if (!fit(min_bytes, max_bytes, slope) && !fit(0, 1e300, slope))
    CONVOY_USER_ERROR("'", path, "' needs two or more messages of 64 KiB or more");
  ring.bandwidth = 2.0 * (n - 1) / n / slope;
  return ring;
}

// Bucket sizes and the layer whose backward completes each, from the reducer itself.
struct BucketPlan {
  double bytes;
  std::string last_layer;
};
std::vector<BucketPlan> plan_buckets(const std::string& model_name, double bucket_mb) {
  auto model = models::make_model({model_name, 0, 0});
  SingleProcessCommunicator alone;
  ReducerOptions options;
  options.bucket_bytes = static_cast<int64_t>(bucket_mb * (1 << 20));
  Reducer reducer(model->parameters(), alone, options);
  std::vector<BucketPlan> plan;
  for (const GradientBucket& b : reducer.buckets()) {
    const std::string& name = b.parameters.back()->name;
    plan.push_back({static_cast<double>(b.count) * 4.0, name.substr(0, name.find('.'))});
  }
  return plan;
}

struct Prediction {
  double step_ms = 0, compute_ms = 0, communication_ms = 0, exposed_ms = 0;
};

// all_reduce_s(bytes): one bucket's all-reduce; report_s: the per-step
// exchange; cpu_s(bytes): the CPU time a bucket's all-reduce takes from the
// rank's cores (0 where a NIC or copy engine moves the bytes); burst_credit_ms:
// what the step's first bucket saves on links shaped by a token bucket, whose
// burst crosses at once when the link was idle long enough to refill it.
Prediction predict(const Profile& p, const std::vector<BucketPlan>& buckets, double compute_scale,
                   const std::function<double(double)>& all_reduce_s, double report_s,
                   const std::function<double(double)>& cpu_s = [](double) { return 0.0; },
                   double burst_credit_ms = 0) {
  // When each layer's backward ends, counted from the start of backward.
  std::map<std::string, double> done_ms;
  double t = 0;
  for (auto it = p.layers.rbegin(); it != p.layers.rend(); ++it) {
    t += it->backward_ms * compute_scale;
    done_ms[it->name] = t;
  }
  // Bytes moved by the CPU stretch backward: a bucket's CPU time is taken
  // from the layers that follow it (or added at the end).
  double cpu_ms = 0;
  for (const BucketPlan& b : buckets) cpu_ms += cpu_s(b.bytes) * 1000.0 * compute_scale;
  const double backward_ms = t + cpu_ms;
  double comm_end = 0, comm_total = 0, stolen = 0;
  for (const BucketPlan& b : buckets) {
    const double ready = (done_ms.count(b.last_layer) ? done_ms.at(b.last_layer) : t) + stolen;
    double cost = std::max(all_reduce_s(b.bytes), cpu_s(b.bytes) * compute_scale) * 1000.0;
    if (&b == &buckets.front()) cost = std::max(0.0, cost - burst_credit_ms);
    comm_end = std::max(comm_end, ready) + cost;
    comm_total += cost;
    stolen += cpu_s(b.bytes) * 1000.0 * compute_scale;
  }
  Prediction r;
  r.exposed_ms = std::max(0.0, comm_end - backward_ms) + report_s * 1000.0;
  r.compute_ms = (p.forward_total() + p.sgd_ms) * compute_scale + backward_ms;
  r.communication_ms = comm_total;
  r.step_ms = r.compute_ms + r.exposed_ms;
  return r;
}

int run_predict(const std::string& model, const std::string& per_layer, const std::string& links, int ranks,
                int cores, int threads, double compute_scale, double bucket_mb, const std::string& cpu_links,
                double link_burst) {
  const Profile p = read_profile(per_layer);
  const std::vector<BucketPlan> buckets = plan_buckets(model, bucket_mb);
  double smallest = 1e300, largest = 0;
  for (const BucketPlan& b : buckets) smallest = std::min(smallest, b.bytes), largest = std::max(largest, b.bytes);
  const Ring ring = fit_links(links, smallest / 4, largest * 4);
  const double share = compute_scale > 0 ? compute_scale
                                         : std::max(1.0, static_cast<double>(ranks) * threads / std::max(1, cores));
  std::function<double(double)> cpu = [](double) { return 0.0; };
  if (!cpu_links.empty()) {
    const Ring unshaped = fit_links(cpu_links);
    cpu = [unshaped, ranks](double bytes) { return 2.0 * (ranks - 1) / ranks * bytes / unshaped.bandwidth; };
  }
  // The links idle from the end of one step's all-reduces to the first
  // bucket of the next (forward and the first layers' backward): a token
  // bucket refills by up to its burst meanwhile, and the first bucket's
  // first bytes cross without waiting for tokens.
  const double idle_s = (p.forward_total() + p.sgd_ms) * share / 1000.0;
  const double first_bytes = buckets.empty() ? 0.0 : 2.0 * (ranks - 1) / ranks * buckets.front().bytes;
  const double credit_ms = std::min({link_burst, ring.bandwidth * idle_s, first_bytes}) / ring.bandwidth * 1000.0;
  const Prediction r = predict(p, buckets, share,
                               [&](double bytes) { return ring.seconds(ranks, bytes); }, ring.seconds(ranks, 8.0 * ranks),
                               cpu, credit_ms);
  std::printf("prediction model=%s ranks=%d batch=%lld step_ms=%.3f compute_ms=%.3f communication_ms=%.3f "
              "exposed_ms=%.3f alpha_us=%.2f bandwidth_mbps=%.1f compute_scale=%.2f\n",
              model.c_str(), ranks, static_cast<long long>(p.batch), r.step_ms, r.compute_ms, r.communication_ms,
              r.exposed_ms, ring.alpha_s * 1e6, ring.bandwidth / 1e6, share);
  return 0;
}

// ---- 8 H200 per node ----

struct GpuCluster {
  int gpus_per_node = 8;
  Ring nvlink{3e-6, 450e9};  // per direction
  Ring network{5e-6, 50e9};  // one 400 Gb/s NIC
  int nics_per_node = 8;
  double gradient_bytes_per_value = 4;
};

// Reduce-scatter and all-gather over NVLink in each node; between nodes each
// GPU's 1/8 shard goes round a ring of nodes through its own NIC (eight NICs),
// or all eight shards share one NIC.
double hierarchical_seconds(const GpuCluster& c, int nodes, double fp32_bytes) {
  const double bytes = fp32_bytes / 4.0 * c.gradient_bytes_per_value;
  const int g = c.gpus_per_node;
  const double intra = c.nvlink.seconds(g, bytes);
  if (nodes <= 1) return intra;
  const double through_a_nic = bytes / g * (static_cast<double>(g) / c.nics_per_node);
  return intra + c.network.seconds(nodes, through_a_nic);
}

int run_h200(const std::string& alexnet_csv, const std::string& lenet_csv, double alexnet_rate, double lenet_step_ms,
             const std::string& csv_path, const std::string& png_path) {
  const int batch = 128;
  struct ModelCase {
    std::string name;
    Profile profile;
    double gpu_step_ms;
  };
  std::vector<ModelCase> models{{"alexnet", read_profile(alexnet_csv), batch * 1000.0 / alexnet_rate},
                                {"lenet5", read_profile(lenet_csv), lenet_step_ms}};
  std::printf("Assumptions (stated, not measured, except where a line says measured):\n");
  std::printf("  - 8 H200 per node, per-GPU batch 128; gradients all-reduced in the reducer's buckets (1 MiB, then 25 MiB),\n"
              "    overlapped with the backward that follows them, hierarchically: reduce-scatter + all-gather over NVLink\n"
              "    inside a node, a ring over the nodes per NIC between them.\n");
  std::printf("  - NVLink: 900 GB/s per GPU in total (NVIDIA H200 datasheet), 450 GB/s each way, 3 us a ring step.\n");
  std::printf("  - InfiniBand NDR: 400 Gb/s = 50 GB/s per NIC, 5 us a ring step; eight NICs (one per GPU, as DGX H200) or one.\n");
  std::printf("  - AlexNet compute: %.0f images/s per H200 (measured by default: convoy in bf16 on one H200): %.2f ms a step.\n",
              alexnet_rate, models[0].gpu_step_ms);
  std::printf("  - LeNet-5 compute: %.3f ms a step (measured by default: convoy in fp32 on one H200, launch-bound).\n",
              lenet_step_ms);
  std::printf("  - The split of a step between forward, each layer's backward and the optimizer: bench_train --per-layer's,\n"
              "    scaled to the step time above, from %s\n    and %s.\n\n",
              alexnet_csv.c_str(), lenet_csv.c_str());
  struct Table {
    std::string title, key;
    int nics;
    double bytes_per_value;
  };
  const std::vector<Table> tables{{"eight 400 Gb/s NICs per node, fp32 gradients", "8nic_fp32", 8, 4},
                                  {"one 400 Gb/s NIC per node, fp32 gradients", "1nic_fp32", 1, 4},
                                  {"eight 400 Gb/s NICs per node, bf16 gradients", "8nic_bf16", 8, 2}};
  std::ofstream csv(csv_path);
  csv << "table,model,nodes,gpus,step_ms,images_per_sec,efficiency,exposed_ms,communication_ms\n";
  std::map<std::string, double> eff64;
  for (const Table& t : tables) {
    std::printf("%s\n%-8s %6s %6s %10s %14s %11s %12s %10s\n", t.title.c_str(), "model", "nodes", "GPUs", "step ms",
                "images/s", "efficiency", "exposed ms", "comm ms");
    for (const ModelCase& m : models) {
      GpuCluster c;
      c.nics_per_node = t.nics;
      c.gradient_bytes_per_value = t.bytes_per_value;
      const double scale = m.gpu_step_ms / m.profile.step_ms();
      const auto buckets = plan_buckets(m.name, 25.0);
      for (int nodes = 1; nodes <= 64; nodes *= 2) {
        const int gpus = nodes * c.gpus_per_node;
        const Prediction r = predict(m.profile, buckets, scale, [&](double b) { return hierarchical_seconds(c, nodes, b); },
                                     hierarchical_seconds(c, nodes, 8.0 * gpus));
        const double rate = gpus * batch * 1000.0 / r.step_ms;
        const double efficiency = m.gpu_step_ms / r.step_ms;
        std::printf("%-8s %6d %6d %10.3f %14.0f %10.1f%% %12.3f %10.3f\n", m.name.c_str(), nodes, gpus, r.step_ms, rate,
                    100.0 * efficiency, r.exposed_ms, r.communication_ms);
        csv << t.key << "," << m.name << "," << nodes << "," << gpus << "," << r.step_ms << "," << rate << ","
            << efficiency << "," << r.exposed_ms << "," << r.communication_ms << "\n";
        if (t.key == "8nic_fp32" && gpus == 64) eff64[m.name] = efficiency;
      }
    }
    std::printf("\n");
  }
  csv.close();
  if (!png_path.empty()) {
    const std::string command = "/usr/bin/python3 " + std::string(CONVOY_SOURCE_DIR) + "/scripts/plot_cluster_model.py " +
                                csv_path + " " + png_path + " 2>&1";
    if (std::system(command.c_str()) == 0) std::printf("plot: %s\n", png_path.c_str());
    else std::printf("no plot (scripts/plot_cluster_model.py needs python3 with matplotlib)\n");
  }
  std::printf("summary alexnet_eff_64gpu=%.3f lenet_eff_64gpu=%.3f\n", eff64["alexnet"], eff64["lenet5"]);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // The h200 mode's defaults: measured on one H200 (benchmarks/gpu/results/, 2026-12-04). AlexNet in bf16, the
  // median of three runs (11,185, 11,701 and 10,686 images/s); LeNet-5 in fp32 at batch 128 (226,319 images/s).
  const std::string results = std::string(CONVOY_SOURCE_DIR) + "/benchmarks/gpu/results/";
  std::string mode, model = "alexnet", per_layer, links, cpu_links, csv = "cluster_model.csv", png;
  std::string alexnet_csv = results + "h200_alexnet_bf16_layers.csv", lenet_csv = results + "h200_lenet5_fp32_layers.csv";
  int ranks = 2, cores = 0, threads = 1;
  double compute_scale = 0, link_burst = 0, bucket_mb = 25.0, alexnet_rate = 11185.0, lenet_step_ms = 0.566;
  po::options_description desc("cluster_model predict|h200 [options]");
  desc.add_options()("mode", po::value(&mode), "predict | h200")
      ("model", convoy::option_value(&model), "predict: lenet5 | alexnet")
      ("per-layer", po::value(&per_layer), "predict: bench_train --per-layer-csv output at the per-rank batch")
      ("allreduce", po::value(&links), "predict: bench_allreduce --csv output measured on the links")
      ("communication-cpu", po::value(&cpu_links), "predict: bench_allreduce --csv on unshaped links (the CPU cost of moving bytes, where the hosts share cores)")
      ("ranks", convoy::option_value(&ranks), "predict: ranks (one per host)")
      ("cores", convoy::option_value(&cores), "predict: cores the ranks share (0: one each)")
      ("threads", convoy::option_value(&threads), "predict: compute threads per rank")
      ("compute-scale", convoy::option_value(&compute_scale),
       "predict: how much slower a rank computes beside the others, measured (bench_lockstep's slowdown_N); "
       "0: ranks x threads / cores, a perfect share")
      ("link-burst", convoy::option_value(&link_burst),
       "predict: bytes a link's token bucket lets through at once after a pause (tc tbf burst; 0: unshaped)")
      ("bucket-mb", convoy::option_value(&bucket_mb), "bucket size (as --bucket-mb)")
      ("per-layer-alexnet", convoy::option_value(&alexnet_csv),
       "h200: AlexNet's bench_train --per-layer-csv (default: measured on one H200, bf16)")
      ("per-layer-lenet", convoy::option_value(&lenet_csv),
       "h200: LeNet-5's bench_train --per-layer-csv (default: measured on one H200)")
      ("alexnet-images-per-sec", convoy::option_value(&alexnet_rate), "h200: per-GPU AlexNet rate")
      ("lenet-step-ms", convoy::option_value(&lenet_step_ms), "h200: LeNet-5 step time per GPU")
      ("csv", convoy::option_value(&csv), "h200: tables as CSV")
      ("png", convoy::option_value(&png), "h200: efficiency plot (empty: none)")
      ("help,h", "show this help");
  po::positional_options_description positional;
  positional.add("mode", 1);
  po::variables_map vm;
  return run_guarded("cluster_model", [&] {
    if (!parse_command_line(argc, argv, desc, &positional, vm)) return 0;
    if (mode == "predict") {
      if (per_layer.empty() || links.empty()) CONVOY_USER_ERROR("predict needs --per-layer and --allreduce");
      return run_predict(model, per_layer, links, ranks, cores == 0 ? ranks * threads : cores, threads, compute_scale,
                         bucket_mb, cpu_links, link_burst);
    }
    if (mode == "h200") {
      return run_h200(alexnet_csv, lenet_csv, alexnet_rate, lenet_step_ms, csv, png);
    }
    CONVOY_USER_ERROR("give a mode: predict or h200 (see --help)");
  });
}
