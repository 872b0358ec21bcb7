// How a job is laid out: which ranks would share a GPU.
#include "distributed/job_setup.h"

#include <gtest/gtest.h>

#include "distributed/single_process_communicator.h"

namespace convoy {
namespace {

TEST(FirstTwoAlike, NamesTheLowestPairOfRanksOnOneGpu) {
  EXPECT_EQ(first_two_alike({}), std::nullopt);
  EXPECT_EQ(first_two_alike({"node1 0000:1b:00.0"}), std::nullopt);
  EXPECT_EQ(first_two_alike({"node1 0000:1b:00.0", "node1 0000:2c:00.0", "node2 0000:1b:00.0"}), std::nullopt);
  // 3 ranks on a node of 2 GPUs: rank 2 wraps round to rank 0's GPU.
  const auto pair = first_two_alike({"node1 0000:1b:00.0", "node1 0000:2c:00.0", "node1 0000:1b:00.0",
                                     "node1 0000:2c:00.0"});
  ASSERT_TRUE(pair.has_value());
  EXPECT_EQ(*pair, std::make_pair(0, 2));
  EXPECT_EQ(first_two_alike({"a", "b", "c", "b", "a"}), std::make_pair(1, 3));
}

TEST(DeviceCommunicator, NoneForTheCpuOrAProcessWithoutMpi) {
  SingleProcessCommunicator host;
  EXPECT_EQ(make_device_communicator(host, Device::kCPU), nullptr);
  // Nothing to exchange: no NCCL, and no GPU is touched (this runs without
  // one, and in a build without the CUDA backend).
  EXPECT_EQ(make_device_communicator(host, Device::cuda(0)), nullptr);
}

}  // namespace
}  // namespace convoy
