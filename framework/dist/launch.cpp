#include "dist/launch.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>

#include "dist/single_process_communicator.h"

namespace convoy {

std::unique_ptr<Communicator> make_communicator(const MpiOptions& options) {
  if (launched_by_mpi_launcher()) return std::make_unique<MpiCommunicator>(options);
  return std::make_unique<SingleProcessCommunicator>();
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
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + "|" + cpus;
}
}  // namespace

int default_threads_per_rank(Communicator& comm) {
  int cores = 1;
  const std::string mine = placement(cores);
  const std::vector<std::string> all = comm.all_gather(mine, "placement of the ranks");
  const auto sharing = std::count(all.begin(), all.end(), mine);
  return std::max(1, cores / static_cast<int>(std::max<int64_t>(1, sharing)));
}

}  // namespace convoy
