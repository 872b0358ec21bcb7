// What GPU training needs beyond the layers: the kernels the trainer calls
// every step (top-k count, the non-finite scan, bf16 gradient rounding), LRN
// outside cuDNN's range, the NCCL communicator, and data-parallel steps over
// NCCL against the CPU, with gradients all-reduced in fp32 and in bf16.
// Skipped, with the reason, where there is no GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <vector>

#include "backend/backend.h"
#include "backend/batch_uploader.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"
#include "core/bfloat16.h"
#include "core/error.h"
#include "distributed/data_parallel.h"
#include "distributed/nccl/nccl_communicator.h"
#include "distributed/single_process_communicator.h"
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

// Each collective is timed on the GPU and reported to the observer (the
// timeline) by the watchdog; flush_reports() has it report at once what is
// queued, as the trainer does before writing its timeline.
TEST(Nccl, CollectivesAreReportedWithTheirGpuTimesAndFlushedOnRequest) {
  CONVOY_REQUIRE_GPU();
  std::mutex mutex;  // declared first: the watchdog may report until nccl is gone
  std::vector<CollectiveRecord> records;
  SingleProcessCommunicator host;
  const std::unique_ptr<Communicator> nccl = make_nccl_communicator(host, 0);
  nccl->set_observer([&](const CollectiveRecord& r) {
    std::lock_guard<std::mutex> lock(mutex);
    records.push_back(r);
  });
  Tensor t = Tensor::zeros(Shape{1 << 22}, kGpu);
  nccl->set_step(7);
  const auto before = std::chrono::steady_clock::now();
  nccl->all_reduce_sum_async(t.device_data(), t.numel(), DataType::kFloat32, "bucket 0");
  nccl->all_reduce_sum_async(t.device_data(), 1000, DataType::kBFloat16, "bucket 1");
  nccl->flush_reports();  // well within the watchdog's 200 ms poll
  const auto after = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mutex);
  ASSERT_EQ(records.size(), 2u) << "reported by the time flush_reports returned";
  EXPECT_EQ(records[0].label, "bucket 0");
  EXPECT_EQ(records[0].bytes, int64_t{4} << 22);
  EXPECT_EQ(records[1].label, "bucket 1");
  EXPECT_EQ(records[1].bytes, 2000);
  for (const CollectiveRecord& r : records) {
    EXPECT_EQ(r.step, 7);
    EXPECT_LE(r.start, r.end);
    // On the host's clock, within the call (the GPU-to-host anchor may be a
    // few tens of microseconds off).
    EXPECT_GT(r.start, before - std::chrono::milliseconds(5));
    EXPECT_LT(r.end, after + std::chrono::milliseconds(5));
  }
}

// Three data-parallel LeNet-5 steps (two micro-batches each): on the GPU over
// NCCL against the CPU over the single-process communicator, with gradients
// all-reduced in `wire` (fp32, or bf16 as --grad-compression bf16). Each
// step's gradients and the final parameters are compared; `tolerance` is
// the relative error allowed.
void expect_data_parallel_over_nccl_matches_the_cpu(DataType wire, double tolerance) {
  SingleProcessCommunicator host;
  const std::unique_ptr<Communicator> nccl = make_nccl_communicator(host, 0);
  auto cpu = models::make_lenet5(), gpu = models::make_lenet5();
  initialize_parameters(cpu->parameters(), InitScheme::kXavier, 31);
  gpu->to(kGpu);
  initialize_parameters(gpu->parameters(), InitScheme::kXavier, 31);  // drawn on the host, copied over
  Sgd sgd_cpu(cpu->parameters(), SgdOptions{0.9, 5e-4, false});
  Sgd sgd_gpu(gpu->parameters(), SgdOptions{0.9, 5e-4, false});
  ReducerOptions reducer;
  reducer.wire = wire;
  DataParallel ddp_cpu(*cpu, sgd_cpu, host, {reducer, 2});
  DataParallel ddp_gpu(*gpu, sgd_gpu, *nccl, {reducer, 2});
  EXPECT_EQ(ddp_gpu.reducer().buckets()[0].label.find("in bf16") != std::string::npos, wire == DataType::kBFloat16)
      << ddp_gpu.reducer().buckets()[0].label;
  ddp_gpu.broadcast_parameters(true);
  SoftmaxCrossEntropy loss_cpu, loss_gpu;
  const std::vector<int32_t> labels{0, 1, 2, 3, 4, 5, 6, 7};
  const auto pc = cpu->parameters(), pg = gpu->parameters();
  for (int step = 0; step < 3; ++step) {
    for (int k = 0; k < 2; ++k) {
      const Tensor x = to_tensor(random_vec(8 * 28 * 28, 40 + static_cast<uint64_t>(2 * step + k)), Shape{8, 1, 28, 28});
      const StepContext ctx{true, 1, static_cast<uint64_t>(step), {}};
      const double l_cpu = loss_cpu.forward(cpu->forward(x, ctx), labels);
      const double l_gpu = loss_gpu.forward(gpu->forward(x.to(kGpu), ctx), labels);
      EXPECT_NEAR(l_gpu, l_cpu, tolerance * std::abs(l_cpu)) << "step " << step;
      EXPECT_EQ(count_top_k_correct(loss_gpu.probabilities(), labels, 1),
                count_top_k_correct(loss_cpu.probabilities(), labels, 1));
      ddp_cpu.backward(loss_cpu.grad_logits());
      ddp_gpu.backward(loss_gpu.grad_logits());
    }
    ddp_cpu.finish_gradients();
    ddp_gpu.finish_gradients();
    EXPECT_EQ(ddp_gpu.first_non_finite_gradient(), nullptr);
    for (size_t i = 0; i < pc.size(); ++i) {
      const testing::Vec g = to_vec(pg[i]->grad);
      EXPECT_LT(testing::relative_error(g, to_vec(pc[i]->grad)), tolerance) << pc[i]->name << ", step " << step;
      if (wire != DataType::kBFloat16) continue;
      // Through the bf16 wire and back, every gradient is a bf16 (the mean
      // over ranks and micro-batches is the optimizer's).
      int64_t wider = 0;
      for (double v : g) wider += static_cast<double>(bf16_to_float(float_to_bf16(static_cast<float>(v)))) != v;
      EXPECT_EQ(wider, 0) << pc[i]->name << " gradients with more than bf16's bits, step " << step;
    }
    ddp_cpu.apply(0.05);
    ddp_gpu.apply(0.05);
  }
  for (size_t i = 0; i < pc.size(); ++i)
    EXPECT_LT(testing::relative_error(to_vec(pg[i]->value), to_vec(pc[i]->value)), tolerance) << pc[i]->name;

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

TEST(CudaTraining, DataParallelStepsOverNcclMatchTheCpu) {
  CONVOY_REQUIRE_GPU();
  expect_data_parallel_over_nccl_matches_the_cpu(DataType::kFloat32, 1e-4);
}

// --grad-compression bf16: both sides round the same fp32 gradients (1e-6
// apart) to bf16, so an element differs, where the two straddle a rounding
// boundary, by one bf16 step: at most 2^-7 = 7.8e-3 of its value. A tensor
// of a few elements (conv1's 6 biases) can be off by nearly that much.
TEST(CudaTraining, DataParallelStepsOverNcclWithBf16GradientsMatchTheCpu) {
  CONVOY_REQUIRE_GPU();
  expect_data_parallel_over_nccl_matches_the_cpu(DataType::kBFloat16, 1e-2);
}

// The rounding the bf16 wire applies on the device is the host's, bit for
// bit (ties to even, NaN kept a NaN, infinities, subnormals), and widening
// back is exact.
TEST(CudaKernels, Bf16RoundingAndWideningAreTheHostsBitForBit) {
  CONVOY_REQUIRE_GPU();
  const int64_t n = 1'000'003;  // not a multiple of the block size
  std::vector<float> values(static_cast<size_t>(n));
  uint32_t bits = 12345;
  for (float& v : values) {  // every bit pattern is as likely: exponents, ties and NaNs included
    bits = bits * 1664525u + 1013904223u;
    std::memcpy(&v, &bits, sizeof v);
  }
  const float step = std::ldexp(1.0f, -7);
  const float specials[] = {1.0f + step / 2, 1.0f + 3 * step / 2, -0.0f, std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(), std::nanf(""),
                            std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::max()};
  std::copy(std::begin(specials), std::end(specials), values.begin());
  Backend& gpu = backend_for(kGpu);
  Tensor src = Tensor::zeros(Shape{n}, kGpu), widened = Tensor::zeros(Shape{n}, kGpu);
  Tensor words = Tensor::zeros(Shape{(n + 1) / 2}, kGpu);  // n bf16 words
  // On the backend's stream, after the fills of zeros(); the float bits as
  // they are (a round trip through double would quiet signalling NaNs).
  const cudaStream_t stream = cuda::context(0).stream;
  CONVOY_CUDA(cudaMemcpyAsync, "bf16 test input", src.device_data(), values.data(), values.size() * sizeof(float),
              cudaMemcpyHostToDevice, stream);
  uint16_t* device_words = reinterpret_cast<uint16_t*>(words.device_data());
  gpu.round_to_bf16(src.device_data(), device_words, n);
  gpu.widen_from_bf16(device_words, widened.device_data(), n);
  std::vector<uint16_t> got_words(static_cast<size_t>(n));
  std::vector<float> got_widened(static_cast<size_t>(n));
  CONVOY_CUDA(cudaStreamSynchronize, "bf16 test", stream);
  CONVOY_CUDA(cudaMemcpy, "bf16 test words", got_words.data(), device_words, got_words.size() * sizeof(uint16_t),
              cudaMemcpyDeviceToHost);
  CONVOY_CUDA(cudaMemcpy, "bf16 test widened", got_widened.data(), widened.device_data(),
              got_widened.size() * sizeof(float), cudaMemcpyDeviceToHost);
  int64_t rounded_apart = 0, widened_apart = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    rounded_apart += got_words[i] != float_to_bf16(values[i]);
    const uint32_t expected = uint32_t{got_words[i]} << 16;
    uint32_t widened_bits;
    std::memcpy(&widened_bits, &got_widened[i], sizeof widened_bits);
    widened_apart += widened_bits != expected;
  }
  EXPECT_EQ(rounded_apart, 0) << "of " << n << " rounded on the device";
  EXPECT_EQ(widened_apart, 0) << "of " << n << " widened on the device";
  EXPECT_EQ(got_words[0], 0x3f80);  // 1 + step/2: the tie goes to the even 1.0
  EXPECT_EQ(got_words[1], 0x3f82);  // 1 + 3 step/2: to the even 1 + 2 steps
}

}  // namespace
}  // namespace convoy
