#include "distributed/mpi_communicator.h"

#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <sstream>
#include <thread>

#include "core/bfloat16.h"
#include "core/error.h"

namespace convoy {

namespace {

using Clock = std::chrono::steady_clock;

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

class MpiWork final : public Work {
 public:
  void wait() override {
    std::unique_lock<std::mutex> lock(mutex_);
    done_cv_.wait(lock, [&] { return done_; });
    if (error_) std::rethrow_exception(error_);
  }
  bool is_completed() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return done_;
  }
  void complete(std::exception_ptr error) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
      error_ = std::move(error);
    }
    done_cv_.notify_all();
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::exception_ptr error_;
};

struct Task {
  std::string label;
  int64_t bytes = 0;
  int64_t step = -1;
  std::function<void()> run;  // the MPI calls
  std::shared_ptr<MpiWork> work;
};

// What a rank answers when a stalled rank asks where it is.
struct Whereabouts {
  int64_t sequence = 0;  // collectives started so far
  int64_t step = -1;
  int32_t in_collective = 0;
  char label[60] = {};
};

constexpr int kQueryTag = 7001, kAnswerTag = 7002;

std::string rank_list(const std::vector<int>& ranks) {
  std::string text;
  for (size_t i = 0; i < ranks.size(); ++i) text += (i ? ", " : "") + std::to_string(ranks[i]);
  return text;
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

// "; ranks not arrived: 1 (...); rank 2 has not arrived: it is at step 7, ...; arrived: 0, 3":
// where each peer was when `stuck` had waited too long, from their answers.
std::string describe_answers(int rank, const Whereabouts& stuck, const std::vector<Whereabouts>& answers,
                             const std::vector<int>& answered) {
  std::vector<int> arrived{rank}, silent;
  std::ostringstream text, elsewhere;
  for (int peer = 0; peer < static_cast<int>(answers.size()); ++peer) {
    const auto p = static_cast<size_t>(peer);
    if (peer == rank) continue;
    const Whereabouts& a = answers[p];
    if (!answered[p]) {
      silent.push_back(peer);
    } else if (a.in_collective && a.sequence == stuck.sequence) {
      arrived.push_back(peer);
    } else {
      elsewhere << "; rank " << peer << " has not arrived: it is at step " << a.step << ", "
                << (a.in_collective ? std::string("in ") + a.label + " (collective #" + std::to_string(a.sequence) + ")"
                                    : "computing (" + std::to_string(a.sequence) + " collectives started)");
    }
  }
  std::sort(arrived.begin(), arrived.end());
  if (!silent.empty())
    text << "; ranks not arrived: " << rank_list(silent) << " (no answer within a few seconds: hung, dead or unreachable)";
  text << elsewhere.str() << "; arrived: " << rank_list(arrived);
  return text.str();
}

}  // namespace

bool launched_by_mpi_launcher() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name)) return true;
  return false;
}

struct MpiCommunicator::Impl {
  MpiOptions options;
  std::atomic<double> timeout_s{600};
  MPI_Comm data = MPI_COMM_NULL, control = MPI_COMM_NULL;
  MPI_Op bf16_sum_op = MPI_OP_NULL;
  int rank = 0, size = 1, local_rank = 0, local_size = 1;
  bool can_query = false;  // MPI_THREAD_MULTIPLE: the watchdog may talk while a collective waits
  std::string library;
  bool finalized = false;
  MpiCommunicator* owner = nullptr;

  // The communication thread and its queue.
  std::mutex queue_mutex;
  std::condition_variable queue_cv;
  std::deque<Task> queue;
  bool stopping = false;
  std::thread comm_thread;

  // What the communication thread is doing, for the watchdog.
  std::mutex state_mutex;
  Whereabouts now;
  Clock::time_point started;

  // The watchdog.
  std::mutex watch_mutex;
  std::condition_variable watch_cv;
  bool watch_stop = false;
  std::thread watchdog;
  std::mutex answer_mutex;  // the watchdog and a failing collective both answer
  std::vector<Whereabouts> answers_out;  // one per peer: the send buffers of answers
  std::vector<MPI_Request> answer_requests;

  // One round of "where are you?": its buffers stay alive while MPI may still
  // write into them, so a round with peers that did not answer is kept here
  // (a late answer must not land in freed memory) until finalize cancels it.
  struct PeerQuery {
    std::vector<int64_t> query;
    std::vector<Whereabouts> answers;
    std::vector<MPI_Request> sends, receives;
  };
  std::mutex unfinished_mutex;
  std::vector<std::unique_ptr<PeerQuery>> unfinished_queries;

  void comm_loop();
  void watch_loop();
  void answer_queries();
  // Asks every other rank where it is (answering their questions meanwhile)
  // and says which ranks have not arrived at collective `stuck`.
  std::string ask_peers(const Whereabouts& stuck);
  [[noreturn]] void report_stall(const Whereabouts& stuck, double waited_s);
  std::shared_ptr<MpiWork> enqueue(std::string label, int64_t bytes, std::function<void()> run);
};

MpiCommunicator::MpiCommunicator(MpiOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.options = options;
  s.timeout_s = options.collective_timeout_s;
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
  s.answers_out.resize(static_cast<size_t>(s.size));
  s.answer_requests.assign(static_cast<size_t>(s.size), MPI_REQUEST_NULL);
  s.comm_thread = std::thread([&s] { s.comm_loop(); });
  s.watchdog = std::thread([&s] { s.watch_loop(); });
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
  {
    std::lock_guard<std::mutex> lock(s.queue_mutex);
    s.stopping = true;
  }
  s.queue_cv.notify_all();
  s.comm_thread.join();
  {
    std::lock_guard<std::mutex> lock(s.watch_mutex);
    s.watch_stop = true;
  }
  s.watch_cv.notify_all();
  s.watchdog.join();
  for (MPI_Request& request : s.answer_requests)
    if (request != MPI_REQUEST_NULL) MPI_Wait(&request, MPI_STATUS_IGNORE);
  // Questions nobody answered: cancel the receives; the buffers live on until
  // the communicator is destroyed, after MPI_Finalize.
  for (const auto& q : s.unfinished_queries) {
    for (MPI_Request& request : q->receives)
      if (request != MPI_REQUEST_NULL) MPI_Cancel(&request), MPI_Request_free(&request);
    for (MPI_Request& request : q->sends)
      if (request != MPI_REQUEST_NULL) MPI_Request_free(&request);
  }
  MPI_Op_free(&s.bf16_sum_op);
  MPI_Comm_free(&s.data);
  MPI_Comm_free(&s.control);
  MPI_Finalize();
}

void MpiCommunicator::set_collective_timeout(double seconds) {
  CONVOY_CHECK(seconds > 0, "collective timeout must be positive, got ", seconds);
  impl_->timeout_s = seconds;
}

int MpiCommunicator::rank() const { return impl_->rank; }
int MpiCommunicator::size() const { return impl_->size; }
int MpiCommunicator::local_rank() const { return impl_->local_rank; }
int MpiCommunicator::local_size() const { return impl_->local_size; }

std::string MpiCommunicator::describe() const {
  return "MPI (" + impl_->library + "), " + std::to_string(impl_->size) + " ranks";
}

std::shared_ptr<MpiWork> MpiCommunicator::Impl::enqueue(std::string label, int64_t bytes,
                                                        std::function<void()> run) {
  auto work = std::make_shared<MpiWork>();
  {
    std::lock_guard<std::mutex> lock(queue_mutex);
    CONVOY_CHECK(!stopping, "collective '", label, "' after the communicator was finalised");
    queue.push_back(Task{std::move(label), bytes, owner->step(), std::move(run), work});
  }
  queue_cv.notify_one();
  return work;
}

void MpiCommunicator::Impl::comm_loop() {
  while (true) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(queue_mutex);
      queue_cv.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;
      task = std::move(queue.front());
      queue.pop_front();
    }
    const auto start = Clock::now();
    {
      std::lock_guard<std::mutex> lock(state_mutex);
      ++now.sequence;
      now.step = task.step;
      now.in_collective = 1;
      std::snprintf(now.label, sizeof now.label, "%s", task.label.c_str());
      started = start;
    }
    std::exception_ptr error;
    try {
      task.run();
    } catch (const Error& e) {
      // A failed collective (a peer gone, a link down): say so at once (mpirun
      // may end this process any moment), then name who is missing.
      Whereabouts mine;
      {
        std::lock_guard<std::mutex> lock(state_mutex);
        mine = now;
      }
      const std::string what = std::string(mine.label) + " at step " + std::to_string(mine.step) + " failed: " + e.message();
      std::fprintf(stderr, "convoy: rank %d: %s; asking the other ranks where they are\n", rank, what.c_str());
      std::fflush(stderr);
      error = std::make_exception_ptr(Error::user(what + ask_peers(mine)));
    } catch (...) {
      error = std::current_exception();
    }
    const auto end = Clock::now();
    {
      std::lock_guard<std::mutex> lock(state_mutex);
      now.in_collective = 0;
    }
    owner->notify(CollectiveRecord{task.label, task.bytes, task.step, start, end});
    task.work->complete(error);
  }
}

// Answers every pending "where are you?" from a stalled rank. Matched probes
// (MPI_Improbe/MPI_Mrecv): two threads may answer at once.
void MpiCommunicator::Impl::answer_queries() {
  if (!can_query) return;
  while (true) {
    int pending = 0;
    MPI_Message message;
    MPI_Status status;
    if (MPI_Improbe(MPI_ANY_SOURCE, kQueryTag, control, &pending, &message, &status) != MPI_SUCCESS || !pending)
      return;
    int64_t asked = 0;
    MPI_Mrecv(&asked, 1, MPI_INT64_T, &message, MPI_STATUS_IGNORE);
    const auto peer = static_cast<size_t>(status.MPI_SOURCE);
    std::lock_guard<std::mutex> answering(answer_mutex);
    if (answer_requests[peer] != MPI_REQUEST_NULL) {
      int done = 0;
      MPI_Test(&answer_requests[peer], &done, MPI_STATUS_IGNORE);
      if (!done) continue;  // the previous answer to this peer is still on its way
    }
    {
      std::lock_guard<std::mutex> lock(state_mutex);
      answers_out[peer] = now;
    }
    MPI_Isend(&answers_out[peer], sizeof(Whereabouts), MPI_BYTE, status.MPI_SOURCE, kAnswerTag, control,
              &answer_requests[peer]);
  }
}

void MpiCommunicator::Impl::watch_loop() {
  while (true) {
    const double timeout = timeout_s.load();
    const auto poll = std::chrono::duration<double>(std::clamp(timeout / 20.0, 0.05, 1.0));
    {
      std::unique_lock<std::mutex> lock(watch_mutex);
      if (watch_cv.wait_for(lock, poll, [&] { return watch_stop; })) return;
    }
    answer_queries();
    Whereabouts snapshot;
    double waited = 0;
    {
      std::lock_guard<std::mutex> lock(state_mutex);
      if (!now.in_collective) continue;
      waited = std::chrono::duration<double>(Clock::now() - started).count();
      snapshot = now;
    }
    if (waited > timeout) report_stall(snapshot, waited);
  }
}

std::string MpiCommunicator::Impl::ask_peers(const Whereabouts& stuck) {
  if (!can_query || size < 2) return "";
  // Keep answering the others' questions meanwhile: they may be asking at the same time.
  auto round = std::make_unique<PeerQuery>();
  std::vector<int64_t>& query = round->query;
  std::vector<Whereabouts>& answers = round->answers;
  std::vector<MPI_Request>& sends = round->sends;
  std::vector<MPI_Request>& receives = round->receives;
  query.assign(static_cast<size_t>(size), stuck.sequence);
  answers.resize(static_cast<size_t>(size));
  sends.assign(static_cast<size_t>(size), MPI_REQUEST_NULL);
  receives.assign(static_cast<size_t>(size), MPI_REQUEST_NULL);
  std::vector<int> answered(static_cast<size_t>(size), 0);
  for (int peer = 0; peer < size; ++peer) {
    if (peer == rank) continue;
    const auto p = static_cast<size_t>(peer);
    MPI_Isend(&query[p], 1, MPI_INT64_T, peer, kQueryTag, control, &sends[p]);
    MPI_Irecv(&answers[p], sizeof(Whereabouts), MPI_BYTE, peer, kAnswerTag, control, &receives[p]);
  }
  const auto deadline = Clock::now() + std::chrono::duration<double>(std::clamp(timeout_s.load() / 4, 2.0, 10.0));
  int remaining = size - 1;
  while (remaining > 0 && Clock::now() < deadline) {
    answer_queries();
    for (int peer = 0; peer < size; ++peer) {
      const auto p = static_cast<size_t>(peer);
      if (peer == rank || answered[p]) continue;
      int done = 0;
      MPI_Test(&receives[p], &done, MPI_STATUS_IGNORE);
      if (done) answered[p] = 1, --remaining;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  bool pending = remaining > 0;
  for (MPI_Request& request : sends) {
    int done = 1;
    if (request != MPI_REQUEST_NULL) MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    pending = pending || !done;
  }
  std::string text = describe_answers(rank, stuck, answers, answered);
  if (pending) {
    std::lock_guard<std::mutex> lock(unfinished_mutex);
    unfinished_queries.push_back(std::move(round));
  }
  return text;
}

void MpiCommunicator::Impl::report_stall(const Whereabouts& stuck, double waited_s) {
  std::ostringstream text;
  text << "convoy: rank " << rank << ": " << stuck.label << " (collective #" << stuck.sequence << ") at step "
       << stuck.step << " has not completed after " << static_cast<int64_t>(waited_s)
       << " s (--collective-timeout)" << ask_peers(stuck) << ". Ending the job.\n";
  std::fputs(text.str().c_str(), stderr);
  abort_job(kExitCollectiveStalled, options.abort_grace_s);
}

std::shared_ptr<Work> MpiCommunicator::all_reduce_sum_async(void* data, int64_t count, DataType type,
                                                            const std::string& label) {
  CONVOY_CHECK(count >= 0, "all-reduce of ", count, " elements");
  Impl& s = *impl_;
  const MPI_Datatype mpi_type = type == DataType::kFloat32 ? MPI_FLOAT : MPI_UINT16_T;
  const MPI_Op op = type == DataType::kFloat32 ? MPI_SUM : s.bf16_sum_op;
  const size_t width = element_size(type);
  return s.enqueue(label, count * static_cast<int64_t>(width), [&s, data, count, mpi_type, op, width] {
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
  s.enqueue(label, bytes, [&s, data, bytes, root] {
     for (int64_t done = 0; done < bytes; done += kMaxCount) {
       const int n = static_cast<int>(std::min(kMaxCount, bytes - done));
       CONVOY_MPI_CHECK(MPI_Bcast(static_cast<char*>(data) + done, n, MPI_BYTE, root, s.data));
     }
   })->wait();
}

std::vector<std::string> MpiCommunicator::all_gather(const std::string& mine, const std::string& label) {
  Impl& s = *impl_;
  std::vector<std::string> all(static_cast<size_t>(s.size));
  s.enqueue(label, static_cast<int64_t>(mine.size()), [&s, &mine, &all] {
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
  s.enqueue(label, 0, [&s] { CONVOY_MPI_CHECK(MPI_Barrier(s.data)); })->wait();
}

void MpiCommunicator::abort(int exit_code) { abort_job(exit_code, impl_->options.abort_grace_s); }

}  // namespace convoy
