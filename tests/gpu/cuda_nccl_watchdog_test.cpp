// The NCCL communicator's watchdog on one GPU. A collective is made to stall
// by holding the compute stream it is ordered after: a host function queued
// on that stream sleeps, so the all-reduce cannot start. Each case runs in a
// child process (a death test), where the held stream and the ended job
// touch nothing else. Skipped, with the reason, where there is no GPU.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <thread>

#include "backend/cuda/cuda_context.h"
#include "backend/cuda/cuda_device.h"
#include "distributed/nccl/nccl_communicator.h"
#include "distributed/single_process_communicator.h"
#include "gpu/gpu_test_support.h"
#include "tensor/tensor.h"

namespace convoy {
namespace {

using Clock = std::chrono::steady_clock;

// Holds the compute stream of GPU 0 for `seconds` (work queued after this waits).
void hold_compute_stream(intptr_t seconds) {
  const cudaError_t status = cudaLaunchHostFunc(
      cuda::context(0).stream,
      [](void* held) { std::this_thread::sleep_for(std::chrono::seconds(reinterpret_cast<intptr_t>(held))); },
      reinterpret_cast<void*>(seconds));
  if (status != cudaSuccess) {
    std::fprintf(stderr, "cudaLaunchHostFunc: %s\n", cudaGetErrorString(status));
    std::_Exit(99);
  }
}

// --collective-timeout 1 s, an all-reduce held for 30 s: the watchdog ends the
// job within a few seconds, with exit code 3 and a message naming the collective.
void stall_an_all_reduce() {
  SingleProcessCommunicator host;
  const std::unique_ptr<Communicator> nccl = make_nccl_communicator(host, 0);
  nccl->set_collective_timeout(1.0);
  Tensor t = Tensor::zeros(Shape{1024}, Device::cuda(0));
  hold_compute_stream(30);
  nccl->all_reduce_sum_async(t.device_data(), t.numel(), DataType::kFloat32, "held all-reduce");
  std::this_thread::sleep_for(std::chrono::seconds(20));
  std::fprintf(stderr, "the watchdog did not end the job\n");
  std::_Exit(0);
}

TEST(NcclWatchdog, AnAllReduceThatOutlivesTheCollectiveTimeoutEndsTheJobWithExit3) {
  CONVOY_REQUIRE_GPU();
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(stall_an_all_reduce(), ::testing::ExitedWithCode(3),
              "held all-reduce at step -?[0-9]+ has not finished after [0-9]+ s \\(--collective-timeout\\)");
}

// An error thrown while an all-reduce is queued (held for 10 s): leaving the
// communicator's scope aborts NCCL and returns at once, where a normal exit
// waits for the collective.
void unwind_past_a_held_all_reduce() {
  SingleProcessCommunicator host;
  Tensor t = Tensor::zeros(Shape{1024}, Device::cuda(0));
  const auto start = Clock::now();
  try {
    const std::unique_ptr<Communicator> nccl = make_nccl_communicator(host, 0);
    hold_compute_stream(10);
    nccl->all_reduce_sum_async(t.device_data(), t.numel(), DataType::kFloat32, "held all-reduce");
    throw std::runtime_error("an error on this rank");
  } catch (const std::runtime_error&) {
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::fprintf(stderr, "left the scope after %.1f s\n", seconds);
  std::_Exit(seconds < 5.0 ? 0 : 1);
}

TEST(NcclWatchdog, UnwindingFromAnErrorAbortsNcclInsteadOfWaiting) {
  CONVOY_REQUIRE_GPU();
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(unwind_past_a_held_all_reduce(), ::testing::ExitedWithCode(0), "left the scope after");
}

}  // namespace
}  // namespace convoy
