// ExitDeadline: the bound on aborts that may hang (MPI_Abort over a dead
// link, ncclCommAbort with a kernel waiting for a peer). Each case runs in a
// child process (a death test): an armed deadline ends the process.
#include "distributed/exit_deadline.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace convoy {
namespace {

using Clock = std::chrono::steady_clock;

// A call that never returns, guarded for 0.3 s: the process ends with the
// deadline's exit code, naming the call, well before the 20 s the call takes.
void hang_under_a_deadline() {
  ExitDeadline deadline(0.3, 7, "a hung abort");
  std::this_thread::sleep_for(std::chrono::seconds(20));
  std::fprintf(stderr, "the deadline did not end the process\n");
  std::_Exit(0);
}

TEST(ExitDeadline, AHungCallEndsTheProcessWithItsExitCodeAndName) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const auto start = Clock::now();
  EXPECT_EXIT(hang_under_a_deadline(), ::testing::ExitedWithCode(7),
              "convoy: a hung abort did not return within 0.3 s; exiting with code 7");
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 15.0);
}

// A call that returns in time disarms it: the process lives on past the
// deadline, and leaving the scope does not wait for it.
void return_in_time() {
  const auto start = Clock::now();
  { ExitDeadline deadline(0.3, 7, "a quick abort"); }
  const double left_after = std::chrono::duration<double>(Clock::now() - start).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  std::fprintf(stderr, "alive; the scope was left after %.3f s\n", left_after);
  std::_Exit(left_after < 0.2 ? 0 : 1);
}

TEST(ExitDeadline, ACallThatReturnsInTimeDisarmsItWithoutWaiting) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(return_in_time(), ::testing::ExitedWithCode(0), "alive; the scope was left after");
}

}  // namespace
}  // namespace convoy
