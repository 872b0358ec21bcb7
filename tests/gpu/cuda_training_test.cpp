// What GPU training needs beyond the layers: the kernels the trainer calls
// every step (top-k count, the non-finite scan), LRN outside cuDNN's range,
// the NCCL communicator, and data-parallel steps over NCCL against the CPU.
// Skipped, with the reason, where there is no GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "backend/backend.h"
#include "backend/batch_uploader.h"
#include "core/error.h"
#include "dist/data_parallel.h"
#include "dist/nccl_communicator.h"
#include "dist/single_process_communicator.h"
#include "gpu/gpu_test_support.h"
#include "models/lenet5.h"
#include "nn/init.h"
#include "nn/layers/lrn.h"
#include "nn/loss.h"
#include "reference/gradcheck.h"

namespace convoy {
namespace {

const Device kGpu = Device::cuda(0);
using testing::random_vec;
using testing::to_tensor;
using testing::to_vec;

TEST(CudaKernels, TopKCountMatchesTheCpuTiesIncluded) {
  CONVOY_REQUIRE_GPU();
  testing::Vec scores = random_vec(64 * 1000, 21);
  // Row 0: the label ties with a lower class (ranks second); row 1: with a higher one (ranks first).
  scores[3] = scores[7] = 5.0;
  scores[1000 + 9] = scores[1000 + 2] = 5.0;
  const Tensor cpu = to_tensor(scores, Shape{64, 1000});
  std::vector<int32_t> labels(64);
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int32_t>((i * 37) % 1000);
  labels[0] = 7;
  labels[1] = 2;
  const Tensor gpu = cpu.to(kGpu);
  for (int k : {1, 2, 5, 500, 1000}) {
    EXPECT_EQ(count_top_k_correct(gpu, labels, k), count_top_k_correct(cpu, labels, k)) << "k " << k;
  }
  EXPECT_EQ(count_top_k_correct(to_tensor({1, 5, 5}, Shape{1, 3}).to(kGpu), std::vector<int32_t>{2}, 1), 0);
  EXPECT_EQ(count_top_k_correct(to_tensor({1, 5, 5}, Shape{1, 3}).to(kGpu), std::vector<int32_t>{1}, 1), 1);
}

TEST(CudaKernels, TheNonFiniteScanFindsTheFirstBadElement) {
  CONVOY_REQUIRE_GPU();
  Backend& gpu = backend_for(kGpu);
  testing::Vec values = random_vec(3'000'001, 22);
  EXPECT_EQ(gpu.first_non_finite(to_tensor(values, Shape{3'000'001}).to(kGpu)), -1);
  values[2'999'999] = std::numeric_limits<double>::infinity();
  values[1'234'567] = std::nan("");
  values[2'000'000] = -std::numeric_limits<double>::infinity();
  EXPECT_EQ(gpu.first_non_finite(to_tensor(values, Shape{3'000'001}).to(kGpu)), 1'234'567);
}

// LRN with parameters cuDNN refuses runs on convoy's own kernel: forward and
// backward against the naive double-precision reference.
void expect_own_lrn_matches_reference(const reference::LrnParams& p, const reference::Dims4& d) {
  SCOPED_TRACE("n=" + std::to_string(p.n) + " k=" + std::to_string(p.k) + " beta=" + std::to_string(p.beta));
  const Shape shape{d.n, d.c, d.h, d.w};
  const testing::Vec x = random_vec(d.size(), 23, 0.1, 2.0), dy = random_vec(d.size(), 24);
  Lrn lrn(LrnConfig{p.n, p.alpha, p.beta, p.k});
  const Tensor x_gpu = to_tensor(x, shape).to(kGpu);
  const Tensor& y = lrn.forward(x_gpu, StepContext{true, 0, 0, {}});
  EXPECT_LT(testing::relative_error(to_vec(y), reference::lrn_forward(x, d, p)), 1e-5) << "forward";
  const Tensor& dx = lrn.backward(to_tensor(dy, shape).to(kGpu), true, {});
  EXPECT_LT(testing::relative_error(to_vec(dx), reference::lrn_backward(x, d, p, dy)), 1e-4) << "backward";
}

TEST(BatchUploader, EachBatchArrivesIntactAndTheLastOneSurvivesTheNextUpload) {
  CONVOY_REQUIRE_GPU();
  const std::unique_ptr<BatchUploader> uploader = make_batch_uploader(kGpu);
  Tensor host = to_tensor(random_vec(4 * 3 * 9 * 9, 26), Shape{4, 3, 9, 9});
  const testing::Vec first = to_vec(host);
  const Tensor& a = uploader->upload(host);
  host.fill(7.0f);  // the host buffer may be reused at once
  const testing::Vec second = to_vec(host);
  const Tensor& b = uploader->upload(host);
  EXPECT_NE(a.device_data(), b.device_data()) << "two device buffers in turn";
  EXPECT_EQ(to_vec(a), first);
  EXPECT_EQ(to_vec(b), second);
  const Tensor smaller = to_tensor(random_vec(2 * 3 * 9 * 9, 27), Shape{2, 3, 9, 9});  // a last, short batch
  const Tensor& c = uploader->upload(smaller);
  EXPECT_EQ(c.shape(), smaller.shape());
  EXPECT_EQ(to_vec(c), to_vec(smaller));
  EXPECT_EQ(to_vec(b), second);
}

TEST(CudaParity, LrnOutsideCudnnsRangeRunsOnItsOwnKernel) {
  CONVOY_REQUIRE_GPU();
  // The documents' worked example: (k, alpha, beta, n) = (0, 1, 1, 2), channels 1, 1, 2 -> 1/2, 1/6, 2/5.
  Lrn example(LrnConfig{2, 1.0, 1.0, 0.0});
  const Tensor& y = example.forward(to_tensor({1, 1, 2}, Shape{1, 3, 1, 1}).to(kGpu), StepContext{});
  const testing::Vec got = to_vec(y);
  EXPECT_NEAR(got[0], 0.5, 1e-6);
  EXPECT_NEAR(got[1], 1.0 / 6.0, 1e-6);
  EXPECT_NEAR(got[2], 0.4, 1e-6);
  expect_own_lrn_matches_reference({2, 1.0, 1.0, 0.0}, {2, 7, 3, 5});       // k = 0
  expect_own_lrn_matches_reference({17, 1e-3, 0.75, 2.0}, {2, 40, 4, 4});    // window 17 > 16
  expect_own_lrn_matches_reference({5, 1e-2, 0.005, 1.0}, {1, 12, 5, 5});    // beta < 0.01
}

TEST(Nccl, ASingleRankAllReduceAndBroadcastLeaveTheDeviceBuffersAsTheyAre) {
  CONVOY_REQUIRE_GPU();
  SingleProcessCommunicator host;
  const std::unique_ptr<Communicator> nccl = make_nccl_communicator(host, 0);
  EXPECT_EQ(nccl->size(), 1);
  EXPECT_NE(nccl->describe().find("NCCL"), std::string::npos) << nccl->describe();
  const Tensor original = to_tensor(random_vec(1 << 20, 25), Shape{1 << 20});
  const testing::Vec values = to_vec(original);
  Tensor t = original.to(kGpu);
  nccl->all_reduce_sum_async(t.device_data(), t.numel(), DataType::kFloat32, "test all-reduce")->wait();
  EXPECT_EQ(to_vec(t), values);
  nccl->broadcast(t.device_data(), t.numel() * 4, 0, "test broadcast");
  EXPECT_EQ(to_vec(t), values);
  int host_value = 42;  // host memory goes through the host communicator
  nccl->broadcast(&host_value, sizeof host_value, 0, "host broadcast");
  EXPECT_EQ(host_value, 42);
  std::vector<float> host_buffer(16);
  EXPECT_THROW(nccl->all_reduce_sum_async(host_buffer.data(), 16, DataType::kFloat32, "host all-reduce"), Error);
}

// Three data-parallel LeNet-5 steps (two micro-batches each): on the GPU over
// NCCL against the CPU over the single-process communicator.
TEST(CudaTraining, DataParallelStepsOverNcclMatchTheCpu) {
  CONVOY_REQUIRE_GPU();
  SingleProcessCommunicator host;
  const std::unique_ptr<Communicator> nccl = make_nccl_communicator(host, 0);
  auto cpu = models::make_lenet5(), gpu = models::make_lenet5();
  initialize_parameters(cpu->parameters(), InitScheme::kXavier, 31);
  gpu->to(kGpu);
  initialize_parameters(gpu->parameters(), InitScheme::kXavier, 31);  // drawn on the host, copied over
  Sgd sgd_cpu(cpu->parameters(), SgdOptions{0.9, 5e-4, false});
  Sgd sgd_gpu(gpu->parameters(), SgdOptions{0.9, 5e-4, false});
  DataParallel ddp_cpu(*cpu, sgd_cpu, host, {{}, 2});
  DataParallel ddp_gpu(*gpu, sgd_gpu, *nccl, {{}, 2});
  ddp_gpu.broadcast_parameters(true);
  SoftmaxCrossEntropy loss_cpu, loss_gpu;
  const std::vector<int32_t> labels{0, 1, 2, 3, 4, 5, 6, 7};
  for (int step = 0; step < 3; ++step) {
    for (int k = 0; k < 2; ++k) {
      const Tensor x = to_tensor(random_vec(8 * 28 * 28, 40 + static_cast<uint64_t>(2 * step + k)), Shape{8, 1, 28, 28});
      const StepContext ctx{true, 1, static_cast<uint64_t>(step), {}};
      const double l_cpu = loss_cpu.forward(cpu->forward(x, ctx), labels);
      const double l_gpu = loss_gpu.forward(gpu->forward(x.to(kGpu), ctx), labels);
      EXPECT_NEAR(l_gpu, l_cpu, 1e-4 * std::abs(l_cpu)) << "step " << step;
      EXPECT_EQ(count_top_k_correct(loss_gpu.probabilities(), labels, 1),
                count_top_k_correct(loss_cpu.probabilities(), labels, 1));
      ddp_cpu.backward(loss_cpu.grad_logits());
      ddp_gpu.backward(loss_gpu.grad_logits());
    }
    ddp_cpu.finish_gradients();
    ddp_gpu.finish_gradients();
    EXPECT_EQ(ddp_gpu.first_non_finite_gradient(), nullptr);
    ddp_cpu.apply(0.05);
    ddp_gpu.apply(0.05);
  }
  const auto pc = cpu->parameters(), pg = gpu->parameters();
  for (size_t i = 0; i < pc.size(); ++i)
    EXPECT_LT(testing::relative_error(to_vec(pg[i]->value), to_vec(pc[i]->value)), 1e-4) << pc[i]->name;

  // A NaN planted in one gradient is found, and named, on the device.
  const Tensor x = to_tensor(random_vec(8 * 28 * 28, 50), Shape{8, 1, 28, 28}).to(kGpu);
  for (int k = 0; k < 2; ++k) {
    loss_gpu.forward(gpu->forward(x, StepContext{true, 1, 9, {}}), labels);
    ddp_gpu.backward(loss_gpu.grad_logits());
  }
  ddp_gpu.finish_gradients();
  Parameter& victim = *pg[2];
  Tensor bad = to_tensor(testing::Vec(static_cast<size_t>(victim.grad.numel()), 0.0), victim.grad.shape());
  bad.data()[3] = std::nanf("");
  victim.grad.copy_from(bad);
  const Parameter* found = ddp_gpu.first_non_finite_gradient();
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->name, victim.name);
  ddp_gpu.skip();
}

}  // namespace
}  // namespace convoy
