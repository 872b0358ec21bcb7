// CollectiveWatchdog, the one watchdog of every communicator, driven by hooks
// of the test's own (no MPI, no GPU): what it reports, when, and what a peer
// asking "where are you?" is told.
#include "distributed/collective_watchdog.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "core/error.h"

namespace convoy {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// What the watchdog said when it ended the "job" (the hooks of a test return).
struct Ending {
  std::mutex mutex;
  std::string message;
  int exit_code = 0;
  int calls = 0;
  Clock::time_point at;

  CollectiveWatchdog::Hooks hooks() {
    CollectiveWatchdog::Hooks hooks;
    hooks.end_job = [this](const std::string& text, int code) {
      std::lock_guard<std::mutex> lock(mutex);
      message = text, exit_code = code, ++calls, at = Clock::now();
    };
    return hooks;
  }
  bool ended() {
    std::lock_guard<std::mutex> lock(mutex);
    return calls > 0;
  }
  // Waits up to `limit` for the ending.
  bool wait_for(Clock::duration limit) {
    const auto until = Clock::now() + limit;
    while (!ended() && Clock::now() < until) std::this_thread::sleep_for(milliseconds(10));
    return ended();
  }
};

TEST(CollectiveWatchdog, AStalledCollectiveEndsTheJobNamingItsStepSequenceAndTheMissingRanks) {
  Ending ending;
  CollectiveWatchdog::Hooks hooks = ending.hooks();
  CollectivePosition asked_about;
  hooks.ask_peers = [&](const CollectivePosition& stuck) {
    asked_about = stuck;
    return std::string("; ranks not arrived: 2 (no answer)");
  };
  CollectiveWatchdog watchdog(5, 0.3, hooks);
  watchdog.end(watchdog.begin("broadcast of the start", -1));
  const auto began = Clock::now();
  watchdog.begin("all-reduce of bucket 1", 41);
  ASSERT_TRUE(ending.wait_for(std::chrono::seconds(5)));
  const double after_s = std::chrono::duration<double>(ending.at - began).count();
  EXPECT_GE(after_s, 0.3);
  EXPECT_LT(after_s, 2.0);
  EXPECT_EQ(ending.exit_code, kExitCollectiveStalled);
  const std::string said = ending.message;
  const std::string head = "convoy: rank 5: all-reduce of bucket 1 (collective #2) at step 41 has not completed after ";
  const std::string tail = " s (--collective-timeout); ranks not arrived: 2 (no answer). Ending the job.\n";
  ASSERT_EQ(said.substr(0, head.size()), head) << said;
  ASSERT_GT(said.size(), head.size() + tail.size());
  EXPECT_EQ(said.substr(said.size() - tail.size()), tail) << said;
  const double reported_s = std::stod(said.substr(head.size(), said.size() - head.size() - tail.size()));
  EXPECT_GE(reported_s, 0.3) << said;
  EXPECT_LE(reported_s, after_s + 0.05) << said;
  EXPECT_EQ(asked_about.sequence, 2);
  EXPECT_EQ(asked_about.step, 41);
  EXPECT_EQ(asked_about.in_collective, 1);
  EXPECT_STREQ(asked_about.label, "all-reduce of bucket 1");
}

TEST(CollectiveWatchdog, CollectivesThatFinishInTimeAreNeverReported) {
  Ending ending;
  CollectiveWatchdog watchdog(0, 0.2, ending.hooks());
  for (int i = 0; i < 20; ++i) {
    const int64_t sequence = watchdog.begin("all-reduce", i);
    std::this_thread::sleep_for(milliseconds(30));
    watchdog.end(sequence);
  }
  std::this_thread::sleep_for(milliseconds(400));  // twice the timeout with nothing pending
  EXPECT_FALSE(ending.ended()) << ending.message;
}

TEST(CollectiveWatchdog, APeerIsToldTheOldestUnfinishedCollectiveOrTheLastOneBegun) {
  Ending ending;
  CollectiveWatchdog watchdog(0, 60, ending.hooks());
  EXPECT_EQ(watchdog.position().sequence, 0);
  EXPECT_EQ(watchdog.position().in_collective, 0);
  const int64_t first = watchdog.begin("all-reduce of bucket 0", 7);
  const int64_t second = watchdog.begin("all-reduce of bucket 1", 7);
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 2);
  CollectivePosition now = watchdog.position();
  EXPECT_EQ(now.sequence, 1);
  EXPECT_EQ(now.in_collective, 1);
  EXPECT_STREQ(now.label, "all-reduce of bucket 0");
  watchdog.end(first);
  EXPECT_EQ(watchdog.position().sequence, 2);
  watchdog.end(second);
  watchdog.end(second);  // twice, or unknown: ignored
  now = watchdog.position();
  EXPECT_EQ(now.sequence, 2);
  EXPECT_EQ(now.step, 7);
  EXPECT_EQ(now.in_collective, 0);  // computing, two collectives started
  EXPECT_STREQ(now.label, "all-reduce of bucket 1");
}

TEST(CollectiveWatchdog, ALongLabelIsCutToFitTheAnswer) {
  Ending ending;
  CollectiveWatchdog watchdog(0, 60, ending.hooks());
  watchdog.begin(std::string(200, 'x'), 1);
  const CollectivePosition now = watchdog.position();
  EXPECT_EQ(std::string(now.label), std::string(sizeof now.label - 1, 'x'));
}

TEST(CollectiveWatchdog, TheWaitOfAQueuedCollectiveCountsFromWhenItRuns) {
  Ending ending;
  CollectiveWatchdog watchdog(0, 0.3, ending.hooks());
  const int64_t queued = watchdog.begin("all-reduce queued behind others", 3);
  for (int i = 0; i < 5; ++i) {  // 0.5 s in the queue, the watchdog told at each turn
    std::this_thread::sleep_for(milliseconds(100));
    watchdog.running(queued);
  }
  watchdog.end(queued);
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_FALSE(ending.ended()) << ending.message;
}

TEST(CollectiveWatchdog, ACollectiveStillQueuedIsNotTimedUntilItRuns) {
  Ending ending;
  CollectiveWatchdog watchdog(0, 0.2, ending.hooks());
  const int64_t running = watchdog.begin("all-reduce of bucket 0", 3, true);
  const int64_t queued = watchdog.begin("all-reduce of bucket 1", 3, false);
  std::this_thread::sleep_for(milliseconds(150));
  watchdog.end(running);  // bucket 1 is now the oldest, still in the queue
  std::this_thread::sleep_for(milliseconds(400));  // twice the timeout since it was issued
  EXPECT_FALSE(ending.ended()) << ending.message;
  EXPECT_EQ(watchdog.position().sequence, queued);  // a peer is told it is next
  watchdog.running(queued);
  ASSERT_TRUE(ending.wait_for(std::chrono::seconds(5)));
  EXPECT_NE(ending.message.find("all-reduce of bucket 1 (collective #2)"), std::string::npos) << ending.message;
}

TEST(CollectiveWatchdog, AnErrorFromTheTickEndsTheJobWithItsMessage) {
  Ending ending;
  CollectiveWatchdog::Hooks hooks = ending.hooks();
  int ticks = 0;
  hooks.tick = [&ticks] { return ++ticks < 3 ? std::string() : std::string("NCCL reported a remote process exited"); };
  CollectiveWatchdog watchdog(1, 0.5, hooks);
  ASSERT_TRUE(ending.wait_for(std::chrono::seconds(5)));
  EXPECT_EQ(ending.message, "convoy: rank 1: error: NCCL reported a remote process exited; ending the job\n");
  EXPECT_EQ(ending.exit_code, kExitCollectiveStalled);
  EXPECT_EQ(ticks, 3);
}

TEST(CollectiveWatchdog, ALowerTimeoutAppliesToTheCollectiveAlreadyWaiting) {
  Ending ending;
  CollectiveWatchdog watchdog(0, 600, ending.hooks());
  watchdog.begin("agreement of the ranks", -1);
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_FALSE(ending.ended());
  watchdog.set_timeout(0.2);  // as --collective-timeout is applied after the start
  ASSERT_TRUE(ending.wait_for(std::chrono::seconds(5)));
  EXPECT_NE(ending.message.find("agreement of the ranks (collective #1) at step -1"), std::string::npos)
      << ending.message;
  EXPECT_THROW(watchdog.set_timeout(0), Error);
}

}  // namespace
}  // namespace convoy
