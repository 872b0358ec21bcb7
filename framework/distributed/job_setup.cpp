#include "distributed/job_setup.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "backend/device_platform.h"
#include "core/error.h"
#include "distributed/agreement.h"
#include "distributed/device_communicators.h"
#include "distributed/single_process_communicator.h"

namespace convoy {

std::unique_ptr<Communicator> make_communicator(const MpiOptions& options) {
  if (launched_by_mpi_launcher()) return std::make_unique<MpiCommunicator>(options);
  return std::make_unique<SingleProcessCommunicator>();
}

namespace {
std::string host_name() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}
// This boot of this machine: containers on different nodes may share a host
// name (NCCL's own host hash reads the same file).
std::string boot_id() {
  std::ifstream file("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(file, id);
  return id;
}
}  // namespace

std::unique_ptr<Communicator> make_device_communicator(Communicator& host, Device device) {
  // A process alone, without MPI, has nothing to exchange: no NCCL
  // communicator (its bootstrap costs time and a network interface). The
  // single-process communicator touches no buffer, so device buffers may pass
  // through it; MPI's (mpirun -np 1 included) would hand them to MPI.
  if (device.is_cpu() || dynamic_cast<SingleProcessCommunicator*>(&host)) return nullptr;
  const std::string what = "training on " + to_string(device);
  DevicePlatform& platform = device_platform(device.kind, what);
  const DeviceCommunicatorFactory factory = find_device_communicator(device.kind);
  if (!factory) CONVOY_USER_ERROR(what, ": this build of convoy has no communicator for its gradients");
  // NCCL refuses two ranks on one GPU with an error of its own; say which
  // ranks and why, on every rank, before it is asked.
  const std::string gpu = host_name() + " " + platform.physical_id(device.index);
  std::vector<std::string> gpus = host.all_gather(boot_id() + " " + gpu, "the GPU of each rank");
  if (const auto pair = first_two_alike(gpus)) {
    const std::string shared = gpus[pair->first].substr(gpus[pair->first].find(' ') + 1);  // without the boot id
    // Every rank holds the same list and so throws alike: a job error, told once by rank 0.
    throw JobError("ranks " + std::to_string(pair->first) + " and " + std::to_string(pair->second) +
                   " would share one GPU (" + shared +
                   "): NCCL needs a GPU for each rank. Start at most as many ranks on a node as it has GPUs, "
                   "or give each rank its own --device cuda:N");
  }
  return factory(host, device.index);
}

std::optional<std::pair<int, int>> first_two_alike(const std::vector<std::string>& per_rank) {
  for (size_t second = 1; second < per_rank.size(); ++second)
    for (size_t first = 0; first < second; ++first)
      if (per_rank[first] == per_rank[second]) return std::pair<int, int>(first, second);
  return std::nullopt;
}

namespace {
// "host|cpu list" of this process: ranks with the same placement share cores.
std::string placement(int& cores) {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  std::string cpus;
  cores = 0;
  if (sched_getaffinity(0, sizeof mask, &mask) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &mask)) {
        cpus += std::to_string(cpu) + ",";
        ++cores;
      }
  }
  if (cores == 0) cores = static_cast<int>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
  return host_name() + "|" + cpus;
}
}  // namespace

Placement place_ranks(Communicator& comm) {
  int cores = 1;
  const std::string mine = placement(cores);
  const std::vector<std::string> all = comm.all_gather(mine, "placement of the ranks");
  const auto sharing = std::count(all.begin(), all.end(), mine);
  Placement result;
  result.threads_per_rank = std::max(1, cores / static_cast<int>(std::max<int64_t>(1, sharing)));
  // Hosts in order of their first rank; each host's ranks as ranges.
  std::vector<std::pair<std::string, std::vector<int>>> hosts;
  for (size_t r = 0; r < all.size(); ++r) {
    const std::string host = all[r].substr(0, all[r].find('|'));
    auto it = std::find_if(hosts.begin(), hosts.end(), [&](const auto& h) { return h.first == host; });
    if (it == hosts.end()) it = hosts.insert(hosts.end(), {host, {}});
    it->second.push_back(static_cast<int>(r));
  }
  for (const auto& [host, ranks] : hosts) {
    std::string list;
    for (size_t i = 0; i < ranks.size(); ++i) {
      size_t j = i;
      while (j + 1 < ranks.size() && ranks[j + 1] == ranks[j] + 1) ++j;
      // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on "-" + std::to_string(...).
      if (!list.empty()) list += ", ";
      list += std::to_string(ranks[i]);
      if (j > i) list += '-' + std::to_string(ranks[j]);
      i = j;
    }
    result.ranks_by_host += (result.ranks_by_host.empty() ? "" : "; ") + host + ": rank" +
                            (ranks.size() > 1 ? "s " : " ") + list;
  }
  return result;
}

}  // namespace convoy
