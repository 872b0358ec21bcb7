#include "distributed/mpi_communicator.h"

#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "core/bfloat16.h"
#include "core/error.h"
#include "distributed/communication_thread.h"
#include "distributed/mpi_peer_query.h"

namespace convoy {

namespace {

void mpi_check(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  CONVOY_THROW(call, " failed: ", std::string(text, static_cast<size_t>(length)));
}
#define CONVOY_MPI_CHECK(call) mpi_check((call), #call)

// MPI counts are ints: large buffers go in pieces.
constexpr int64_t kMaxCount = int64_t{1} << 30;

// MPI has no bf16: sum as float, round to nearest even (core/bfloat16.h).
extern "C" void bf16_sum(void* in, void* inout, int* length, MPI_Datatype*) {
  const auto* a = static_cast<const uint16_t*>(in);
  auto* b = static_cast<uint16_t*>(inout);
  for (int i = 0; i < *length; ++i) b[i] = float_to_bf16(bf16_to_float(a[i]) + bf16_to_float(b[i]));
}

[[noreturn]] void abort_job(int exit_code, double grace_s) {
  std::fflush(stdout);
  std::fflush(stderr);
  // A dead link can keep MPI_Abort from reaching mpirun: end this process on
  // our own after a bounded time.
  ExitDeadline deadline(grace_s, exit_code, "MPI_Abort");
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  ::_exit(exit_code);
}

}  // namespace

bool launched_by_mpi_launcher() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name)) return true;
  return false;
}

struct MpiCommunicator::Impl {
  MpiOptions options;
  MPI_Comm data = MPI_COMM_NULL, control = MPI_COMM_NULL;
  MPI_Op bf16_sum_op = MPI_OP_NULL;
  int rank = 0, size = 1, local_rank = 0, local_size = 1;
  bool can_query = false;  // MPI_THREAD_MULTIPLE: the watchdog may talk while a collective waits
  std::string library;
  bool finalized = false;
  MpiCommunicator* owner = nullptr;
  // The three concerns, each in a file of its own: where the peers are
  // (mpi_peer_query), the watchdog (collective_watchdog), the thread that
  // runs the collectives' MPI calls (communication_thread).
  std::unique_ptr<MpiPeerQuery> peers;
  std::unique_ptr<CollectiveWatchdog> watchdog;
  std::unique_ptr<CommunicationThread> thread;

  // How long a rank waits for its peers' answers.
  double answer_wait_s() const { return std::clamp(watchdog->timeout() / 4, 2.0, 10.0); }
  void start_threads();
  // A failed collective (a peer gone, a link down): said at once (mpirun may
  // end this process any moment), then who is missing.
  std::string explain_failure(const CollectivePosition& failed, const Error& error);
  std::shared_ptr<Work> issue(std::string label, int64_t bytes, std::function<void()> run) {
    return thread->issue({std::move(label), bytes, owner->step(), std::move(run)});
  }
};

void MpiCommunicator::Impl::start_threads() {
  peers = std::make_unique<MpiPeerQuery>(control, rank, size, can_query, [this] { return watchdog->position(); });
  CollectiveWatchdog::Hooks hooks;
  hooks.tick = [this] {
    peers->answer();
    return std::string();
  };
  hooks.ask_peers = [this](const CollectivePosition& stuck) { return peers->ask(stuck, answer_wait_s()); };
  hooks.end_job = [grace = options.abort_grace_s](const std::string& message, int exit_code) {
    std::fputs(message.c_str(), stderr);
    abort_job(exit_code, grace);
  };
  watchdog = std::make_unique<CollectiveWatchdog>(rank, options.collective_timeout_s, std::move(hooks));
  thread = std::make_unique<CommunicationThread>(
      *watchdog, [this](const CollectivePosition& failed, const Error& e) { return explain_failure(failed, e); },
      [this](const CollectiveRecord& record) { owner->notify(record); });
}

std::string MpiCommunicator::Impl::explain_failure(const CollectivePosition& failed, const Error& error) {
  const std::string what =
      std::string(failed.label) + " at step " + std::to_string(failed.step) + " failed: " + error.message();
  std::fprintf(stderr, "convoy: rank %d: %s; asking the other ranks where they are\n", rank, what.c_str());
  std::fflush(stderr);
  return what + peers->ask(failed, answer_wait_s());
}

MpiCommunicator::MpiCommunicator(MpiOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.options = options;
  s.owner = this;
  int initialized = 0;
  MPI_Initialized(&initialized);
  CONVOY_CHECK(!initialized, "MPI is already initialised (one MpiCommunicator per process)");
  int provided = MPI_THREAD_SINGLE;
  CONVOY_MPI_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided));
  s.can_query = provided == MPI_THREAD_MULTIPLE;
  if (provided < MPI_THREAD_SERIALIZED) {
    MPI_Finalize();
    CONVOY_USER_ERROR("this MPI library offers thread level ", provided,
                      "; convoy needs at least MPI_THREAD_SERIALIZED (its communication thread calls MPI)");
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &s.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &s.size);
  // Collectives on their own communicator, the watchdog's questions on another.
  CONVOY_MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &s.data));
  CONVOY_MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &s.control));
  MPI_Comm_set_errhandler(s.data, MPI_ERRORS_RETURN);
  MPI_Comm_set_errhandler(s.control, MPI_ERRORS_RETURN);
  MPI_Comm local = MPI_COMM_NULL;
  CONVOY_MPI_CHECK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, s.rank, MPI_INFO_NULL, &local));
  MPI_Comm_rank(local, &s.local_rank);
  MPI_Comm_size(local, &s.local_size);
  MPI_Comm_free(&local);
  CONVOY_MPI_CHECK(MPI_Op_create(&bf16_sum, 1, &s.bf16_sum_op));
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(version, &length);
  s.library = std::string(version, static_cast<size_t>(length));
  s.library = s.library.substr(0, s.library.find_first_of(",\n"));
  s.start_threads();
}

MpiCommunicator::~MpiCommunicator() {
  try {
    finalize();
  } catch (...) {
  }
}

void MpiCommunicator::finalize() {
  Impl& s = *impl_;
  if (s.finalized) return;
  s.finalized = true;
  s.thread->stop();  // runs what is queued
  s.watchdog->stop();
  s.peers->finish();
  MPI_Op_free(&s.bf16_sum_op);
  MPI_Comm_free(&s.data);
  MPI_Comm_free(&s.control);
  MPI_Finalize();
}

void MpiCommunicator::set_collective_timeout(double seconds) {
  impl_->watchdog->set_timeout(seconds);
}

int MpiCommunicator::rank() const { return impl_->rank; }
int MpiCommunicator::size() const { return impl_->size; }
int MpiCommunicator::local_rank() const { return impl_->local_rank; }
int MpiCommunicator::local_size() const { return impl_->local_size; }

std::string MpiCommunicator::describe() const {
  return "MPI (" + impl_->library + "), " + std::to_string(impl_->size) + " ranks";
}

std::shared_ptr<Work> MpiCommunicator::all_reduce_sum_async(void* data, int64_t count, DataType type,
                                                            const std::string& label) {
  CONVOY_CHECK(count >= 0, "all-reduce of ", count, " elements");
  Impl& s = *impl_;
  const MPI_Datatype mpi_type = type == DataType::kFloat32 ? MPI_FLOAT : MPI_UINT16_T;
  const MPI_Op op = type == DataType::kFloat32 ? MPI_SUM : s.bf16_sum_op;
  const size_t width = element_size(type);
  return s.issue(label, count * static_cast<int64_t>(width), [&s, data, count, mpi_type, op, width] {
    for (int64_t done = 0; done < count; done += kMaxCount) {
      const int n = static_cast<int>(std::min(kMaxCount, count - done));
      CONVOY_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, static_cast<char*>(data) + done * static_cast<int64_t>(width),
                                     n, mpi_type, op, s.data));
    }
  });
}

void MpiCommunicator::broadcast(void* data, int64_t bytes, int root, const std::string& label) {
  CONVOY_CHECK(bytes >= 0 && root >= 0 && root < size(), "broadcast of ", bytes, " bytes from rank ", root);
  Impl& s = *impl_;
  s.issue(label, bytes, [&s, data, bytes, root] {
     for (int64_t done = 0; done < bytes; done += kMaxCount) {
       const int n = static_cast<int>(std::min(kMaxCount, bytes - done));
       CONVOY_MPI_CHECK(MPI_Bcast(static_cast<char*>(data) + done, n, MPI_BYTE, root, s.data));
     }
   })->wait();
}

std::vector<std::string> MpiCommunicator::all_gather(const std::string& mine, const std::string& label) {
  Impl& s = *impl_;
  std::vector<std::string> all(static_cast<size_t>(s.size));
  s.issue(label, static_cast<int64_t>(mine.size()), [&s, &mine, &all] {
     CONVOY_CHECK(mine.size() < static_cast<size_t>(kMaxCount), "all-gather of ", mine.size(), " bytes");
     const int length = static_cast<int>(mine.size());
     std::vector<int> lengths(static_cast<size_t>(s.size)), offsets(static_cast<size_t>(s.size));
     CONVOY_MPI_CHECK(MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, s.data));
     int64_t total = 0;
     for (size_t i = 0; i < lengths.size(); ++i) {
       offsets[i] = static_cast<int>(total);
       total += lengths[i];
     }
     CONVOY_CHECK(total < kMaxCount, "all-gather of ", total, " bytes");
     std::string joined(static_cast<size_t>(total), '\0');
     CONVOY_MPI_CHECK(MPI_Allgatherv(mine.data(), length, MPI_BYTE, joined.data(), lengths.data(),
                                     offsets.data(), MPI_BYTE, s.data));
     for (size_t i = 0; i < lengths.size(); ++i)
       all[i] = joined.substr(static_cast<size_t>(offsets[i]), static_cast<size_t>(lengths[i]));
   })->wait();
  return all;
}

void MpiCommunicator::barrier(const std::string& label) {
  Impl& s = *impl_;
  s.issue(label, 0, [&s] { CONVOY_MPI_CHECK(MPI_Barrier(s.data)); })->wait();
}

void MpiCommunicator::abort(int exit_code) { abort_job(exit_code, impl_->options.abort_grace_s); }

}  // namespace convoy
