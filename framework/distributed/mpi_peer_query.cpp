#include "distributed/mpi_peer_query.h"

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

namespace convoy {

namespace {

constexpr int kQueryTag = 7001, kAnswerTag = 7002;

std::string rank_list(const std::vector<int>& ranks) {
  std::string text;
  for (size_t i = 0; i < ranks.size(); ++i) text += (i ? ", " : "") + std::to_string(ranks[i]);
  return text;
}

// Where each peer was when `stuck` had waited too long, from their answers.
std::string describe_answers(int rank, const CollectivePosition& stuck, const std::vector<CollectivePosition>& answers,
                             const std::vector<int>& answered) {
  std::vector<int> arrived{rank}, silent;
  std::ostringstream text, elsewhere;
  for (int peer = 0; peer < static_cast<int>(answers.size()); ++peer) {
    const auto p = static_cast<size_t>(peer);
    if (peer == rank) continue;
    const CollectivePosition& a = answers[p];
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

MpiPeerQuery::MpiPeerQuery(MPI_Comm control, int rank, int size, bool can_query, Where where)
    : control_(control), rank_(rank), size_(size), can_query_(can_query), where_(std::move(where)),
      answers_out_(static_cast<size_t>(size)), answer_requests_(static_cast<size_t>(size), MPI_REQUEST_NULL) {}

void MpiPeerQuery::answer() {
  if (!can_query_) return;
  while (true) {
    int pending = 0;
    MPI_Message message;
    MPI_Status status;
    if (MPI_Improbe(MPI_ANY_SOURCE, kQueryTag, control_, &pending, &message, &status) != MPI_SUCCESS || !pending)
      return;
    int64_t asked = 0;
    MPI_Mrecv(&asked, 1, MPI_INT64_T, &message, MPI_STATUS_IGNORE);
    const auto peer = static_cast<size_t>(status.MPI_SOURCE);
    std::lock_guard<std::mutex> answering(answer_mutex_);
    if (answer_requests_[peer] != MPI_REQUEST_NULL) {
      int done = 0;
      MPI_Test(&answer_requests_[peer], &done, MPI_STATUS_IGNORE);
      if (!done) continue;  // the previous answer to this peer is still on its way
    }
    answers_out_[peer] = where_();
    MPI_Isend(&answers_out_[peer], sizeof(CollectivePosition), MPI_BYTE, status.MPI_SOURCE, kAnswerTag, control_,
              &answer_requests_[peer]);
  }
}

std::string MpiPeerQuery::ask(const CollectivePosition& stuck, double wait_s) {
  if (!can_query_ || size_ < 2) return "";
  auto round = std::make_unique<Round>();
  const auto n = static_cast<size_t>(size_);
  round->question.assign(n, stuck.sequence);
  round->answers.resize(n);
  round->sends.assign(n, MPI_REQUEST_NULL);
  round->receives.assign(n, MPI_REQUEST_NULL);
  std::vector<int> answered(n, 0);
  for (int peer = 0; peer < size_; ++peer) {
    if (peer == rank_) continue;
    const auto p = static_cast<size_t>(peer);
    MPI_Isend(&round->question[p], 1, MPI_INT64_T, peer, kQueryTag, control_, &round->sends[p]);
    MPI_Irecv(&round->answers[p], sizeof(CollectivePosition), MPI_BYTE, peer, kAnswerTag, control_,
              &round->receives[p]);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_s);
  int remaining = size_ - 1;
  while (remaining > 0 && std::chrono::steady_clock::now() < deadline) {
    answer();  // the others may be asking at the same time
    for (int peer = 0; peer < size_; ++peer) {
      const auto p = static_cast<size_t>(peer);
      if (peer == rank_ || answered[p]) continue;
      int done = 0;
      MPI_Test(&round->receives[p], &done, MPI_STATUS_IGNORE);
      if (done) answered[p] = 1, --remaining;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  bool pending = remaining > 0;
  for (MPI_Request& request : round->sends) {
    int done = 1;
    if (request != MPI_REQUEST_NULL) MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    pending = pending || !done;
  }
  std::string text = describe_answers(rank_, stuck, round->answers, answered);
  if (pending) {
    std::lock_guard<std::mutex> lock(unfinished_mutex_);
    unfinished_.push_back(std::move(round));
  }
  return text;
}

void MpiPeerQuery::finish() {
  for (MPI_Request& request : answer_requests_)
    if (request != MPI_REQUEST_NULL) MPI_Wait(&request, MPI_STATUS_IGNORE);
  // Questions nobody answered: cancel the receives; the buffers live on
  // until this object is destroyed, after MPI_Finalize.
  for (const auto& round : unfinished_) {
    for (MPI_Request& request : round->receives)
      if (request != MPI_REQUEST_NULL) MPI_Cancel(&request), MPI_Request_free(&request);
    for (MPI_Request& request : round->sends)
      if (request != MPI_REQUEST_NULL) MPI_Request_free(&request);
  }
}

}  // namespace convoy
