// StartupWatchdog: the deadline on start-up's waits (MPI_Init, the ranks'
// agreement, NCCL's initialisation, the start broadcast). Each case that may
// end the process runs in a child process (a death test).
#include "distributed/startup_watchdog.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <thread>

namespace convoy {
namespace {

using std::chrono::milliseconds;

// A wait that outlives the timeout ends the process, saying what it waited for.
void stall_in_a_wait() {
  setenv("OMPI_COMM_WORLD_RANK", "3", 1);
  StartupWatchdog startup(0.3, "train_test");
  startup.waiting_for("MPI_Init (every rank of the job to start)");
  std::this_thread::sleep_for(std::chrono::seconds(20));
  std::fprintf(stderr, "the watchdog did not end the process\n");
  std::_Exit(0);
}

TEST(StartupWatchdog, AWaitThatOutlivesTheTimeoutEndsTheProcessSayingWhatDidNotComplete) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(stall_in_a_wait(), ::testing::ExitedWithCode(kExitStartupStalled),
              "train_test: rank 3: error: start-up did not complete within 0.3 s \\(--startup-timeout\\): still "
              "waiting for MPI_Init \\(every rank of the job to start\\); ending the job");
}

// This rank's own work between waits is not timed, and each wait has the whole timeout.
void work_long_between_short_waits() {
  StartupWatchdog startup(0.3, "train_test");
  for (const char* wait : {"the placement of the ranks", "the ranks' agreement on the set-up"}) {
    startup.waiting_for(wait);
    std::this_thread::sleep_for(milliseconds(200));
    startup.working();
    std::this_thread::sleep_for(milliseconds(500));  // opening the data, say
  }
  startup.waiting_for("the start broadcast of the parameters");
  std::this_thread::sleep_for(milliseconds(200));
  startup.done();
  std::this_thread::sleep_for(milliseconds(500));
  std::fprintf(stderr, "alive after 1.8 s of start-up\n");
  std::_Exit(0);
}

TEST(StartupWatchdog, OwnWorkIsNotTimedAndEachWaitHasTheWholeTimeout) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(work_long_between_short_waits(), ::testing::ExitedWithCode(0), "alive after 1.8 s of start-up");
}

TEST(StartupWatchdog, TheTimeoutIsReadFromTheCommandLineBeforeAnythingElse) {
  const char* spaced[] = {"train_lenet", "--epochs", "2", "--startup-timeout", "45", "--lr", "0.1"};
  EXPECT_EQ(startup_timeout_from(7, spaced, 300), 45);
  const char* joined[] = {"train_lenet", "--startup-timeout=2.5"};
  EXPECT_EQ(startup_timeout_from(2, joined, 300), 2.5);
  const char* absent[] = {"train_lenet", "--collective-timeout", "45"};
  EXPECT_EQ(startup_timeout_from(3, absent, 300), 300);
  for (const char* bad : {"soon", "-5", "0", "inf", "nan", "12s"}) {
    const char* args[] = {"train_lenet", "--startup-timeout", bad};
    EXPECT_EQ(startup_timeout_from(3, args, 300), 300) << bad;  // the full parse names a bad value
  }
  const char* last[] = {"train_lenet", "--startup-timeout"};
  EXPECT_EQ(startup_timeout_from(2, last, 300), 300);
}

}  // namespace
}  // namespace convoy
