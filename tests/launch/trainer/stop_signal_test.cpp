// The stop signals are received by a thread of their own, never by a
// compute thread (launch/trainer/stop_signal.h says why). Each test runs in a child
// process (a death test), since blocking signals is for a whole process.
#include "launch/trainer/stop_signal.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#include "core/threads.h"
#include "nn/layers/linear.h"
#include "tensor/tensor.h"

namespace convoy {
namespace {

using Clock = std::chrono::steady_clock;

class StopSignalDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

bool wait_for_stop_request(int signal_number) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (stop_requested() != signal_number)
    if (Clock::now() > deadline) return false;
  return true;
}

TEST_F(StopSignalDeathTest, ThreadsStartedAfterwardsBlockTheSignals) {
  EXPECT_EXIT(
      {
        start_stop_signal_thread();
        bool blocked = false;
        std::thread([&] {
          sigset_t mask;
          pthread_sigmask(SIG_BLOCK, nullptr, &mask);
          blocked = sigismember(&mask, SIGINT) && sigismember(&mask, SIGTERM) && sigismember(&mask, SIGUSR1);
        }).join();
        std::exit(blocked ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST_F(StopSignalDeathTest, BeforeTrainingASignalEndsTheProcessAtOnce) {
  EXPECT_EXIT(
      {
        start_stop_signal_thread();
        kill(getpid(), SIGTERM);
        std::this_thread::sleep_for(std::chrono::seconds(10));
        std::exit(0);
      },
      ::testing::KilledBySignal(SIGTERM), "");
}

TEST_F(StopSignalDeathTest, TheFirstSignalAsksToStopTheSecondEndsTheProcess) {
  EXPECT_EXIT(
      {
        start_stop_signal_thread();
        install_stop_handlers();
        kill(getpid(), SIGUSR1);
        if (!wait_for_stop_request(SIGUSR1)) std::exit(3);
        kill(getpid(), SIGUSR1);
        std::this_thread::sleep_for(std::chrono::seconds(10));
        std::exit(0);
      },
      ::testing::KilledBySignal(SIGUSR1), "");
}

// Thousands of stop signals while a fully connected layer of AlexNet's size
// runs backward (oneDNN's JIT GEMM, which moves the stack pointer into the
// heap): with the signals handled on the computing thread this corrupted the
// heap within a second (glibc: "malloc(): unaligned tcache chunk detected").
[[noreturn]] void compute_under_stop_signals() {
  start_stop_signal_thread();
  install_stop_handlers();
  set_compute_threads(1);
  std::atomic<bool> done{false};
  std::atomic<int> received{0};
  std::thread sender([&] {
    while (!done.load()) {
      kill(getpid(), SIGUSR1);
      if (!wait_for_stop_request(SIGUSR1)) std::exit(3);
      ++received;
      // A handler that ran resets itself after it records the signal: let it
      // finish, then install it again, or the next signal ends the process.
      std::this_thread::sleep_for(std::chrono::microseconds(100));
      clear_stop_request();
      install_stop_handlers();
    }
  });
  Linear fc(4096, 4096);
  Tensor x = Tensor::empty(Shape{2, 4096});
  Tensor dy = Tensor::empty(Shape{2, 4096});
  x.fill(0.5f);
  dy.fill(0.25f);
  const auto end = Clock::now() + std::chrono::milliseconds(1500);
  while (Clock::now() < end) {
    fc.forward(x, StepContext{});
    fc.backward(dy, true, {});
  }
  done = true;
  sender.join();
  // Freeing blocks checks their headers: a corrupted heap aborts here.
  std::vector<std::vector<float>> blocks;
  for (int i = 0; i < 200; ++i) blocks.emplace_back(static_cast<size_t>(1000 + 997 * i), 1.0f);
  blocks.clear();
  std::exit(received.load() > 100 ? 0 : 4);
}

TEST_F(StopSignalDeathTest, SignalsDuringComputeLeaveTheHeapIntact) {
  EXPECT_EXIT(compute_under_stop_signals(), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace convoy
