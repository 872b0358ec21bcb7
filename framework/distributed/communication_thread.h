// The communication thread of a host communicator: the calls of each
// collective run on one thread, in the order the caller issued them, so an
// all-reduce started during backward progresses while the compute threads go
// on (Open MPI progresses a collective only inside MPI calls). Each collective
// is registered with the watchdog when it is issued, before it runs.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/error.h"
#include "distributed/collective_watchdog.h"
#include "distributed/communicator.h"

namespace convoy {

class CommunicationThread {
 public:
  struct Collective {
    std::string label;
    int64_t bytes = 0;
    int64_t step = -1;
    std::function<void()> run;  // its calls; throws convoy::Error when they fail
  };
  // `explain_failure` turns the error of a failed collective (a peer gone, a
  // link down) into the message its caller's Work rethrows; `notify` hears of
  // every collective that ran. Both run on the communication thread.
  CommunicationThread(CollectiveWatchdog& watchdog,
                      std::function<std::string(const CollectivePosition& failed, const Error& error)> explain_failure,
                      std::function<void(const CollectiveRecord&)> notify);
  ~CommunicationThread();  // stop()s

  // Queues `collective` behind those issued before it.
  std::shared_ptr<Work> issue(Collective collective);
  // Runs what is queued, then ends the thread (idempotent); issue() refuses afterwards.
  void stop();

 private:
  class QueuedWork;
  struct Queued {
    Collective collective;
    int64_t sequence = 0;
    std::shared_ptr<QueuedWork> work;
  };
  void loop();
  void run(Queued& queued);

  CollectiveWatchdog& watchdog_;
  std::function<std::string(const CollectivePosition&, const Error&)> explain_failure_;
  std::function<void(const CollectiveRecord&)> notify_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Queued> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace convoy
