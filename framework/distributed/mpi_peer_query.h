// "Where are you?": what a rank whose collective stalled or failed asks the
// other ranks over a control communicator of its own, and the answers that
// name the ranks that have not arrived (those that do not answer: hung, dead
// or unreachable). Every rank answers from its watchdog's position
// (distributed/collective_watchdog.h). Private to the MPI communicator.
#pragma once

#include <mpi.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "distributed/collective_watchdog.h"

namespace convoy {

class MpiPeerQuery {
 public:
  using Where = std::function<CollectivePosition()>;
  // `control` carries nothing else. Without MPI_THREAD_MULTIPLE
  // (`can_query` false) nobody asks or answers.
  MpiPeerQuery(MPI_Comm control, int rank, int size, bool can_query, Where where);

  // Answers every question pending from a peer with where() (matched probes:
  // two threads may answer at once).
  void answer();
  // Asks every other rank where it is, answering their questions meanwhile,
  // for up to `wait_s`; says who has not arrived at `stuck`
  // ("; ranks not arrived: 1 (...); rank 2 has not arrived: it is at step 7, ...; arrived: 0, 3").
  std::string ask(const CollectivePosition& stuck, double wait_s);
  // Before MPI_Finalize: waits for the answers sent, cancels questions nobody answered.
  void finish();

 private:
  // One round of questions: its buffers stay alive while MPI may still write
  // into them, so a round with peers that did not answer is kept (a late
  // answer must not land in freed memory) until finish() cancels it.
  struct Round {
    std::vector<int64_t> question;
    std::vector<CollectivePosition> answers;
    std::vector<MPI_Request> sends, receives;
  };

  MPI_Comm control_;
  int rank_, size_;
  bool can_query_;
  Where where_;
  std::mutex answer_mutex_;  // the watchdog and a failing collective both answer
  std::vector<CollectivePosition> answers_out_;  // one per peer: the send buffers of answers
  std::vector<MPI_Request> answer_requests_;
  std::mutex unfinished_mutex_;
  std::vector<std::unique_ptr<Round>> unfinished_;
};

}  // namespace convoy
