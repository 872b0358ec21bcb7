// Every algorithm cuDNN offers in FMA math (true fp32) for AlexNet's
// convolutions, run directly, against the CPU backend: forward, backward
// data and backward weights. Prints each algorithm's relative error; those
// convoy may take in fp32 (conv_algorithm_precision.h) must stay within
// 1e-4, as every layer must. Measured choice depends on timing, so a whole
// training step matches the CPU run after run only if every candidate does.
#include <cudnn.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "backend/cuda/cuda_context.h"
#include "backend/cuda/conv_algorithm_precision.h"
#include "backend/cuda/cudnn_descriptors.h"
#include "gpu/gpu_test_support.h"
#include "nn/layers/conv2d.h"
#include "reference/gradcheck.h"

namespace convoy {
namespace {

const Device kGpu = Device::cuda(0);
using testing::random_tensor;
using testing::relative_error;

struct ConvCase {
  const char* name;
  int64_t in, out, kernel, stride, pad;
  Shape input;
};

void check_every_algorithm(const ConvCase& k) {
  SCOPED_TRACE(k.name);
  // The CPU's forward and backward, bias zero (cuDNN's convolution has none).
  Conv2d cpu(k.in, k.out, k.kernel, k.stride, k.pad);
  cpu.weight().value.copy_from(random_tensor(cpu.weight().value.shape(), 7));
  cpu.bias().value.copy_from(Tensor::zeros(cpu.bias().value.shape()));
  const Tensor x = random_tensor(k.input, 8);
  const StepContext ctx{true, 1, 0, {}};
  const Tensor y = cpu.forward(x, ctx);
  const Tensor dy = random_tensor(y.shape(), 9);
  const Tensor dx = cpu.backward(dy, true, {});
  const Tensor dw = cpu.weight().grad;

  cuda::DeviceContext& c = cuda::context(0);
  cuda::TensorDescriptor xd, yd;
  cuda::FilterDescriptor wd;
  cuda::ConvolutionDescriptor conv;
  cuda::set_nchw(xd, x.shape(), "x");
  cuda::set_nchw(yd, y.shape(), "y");
  const Shape& ws = cpu.weight().value.shape();
  ASSERT_EQ(cudnnSetFilter4dDescriptor(wd, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, static_cast<int>(ws[0]),
                                       static_cast<int>(ws[1]), static_cast<int>(ws[2]), static_cast<int>(ws[3])),
            CUDNN_STATUS_SUCCESS);
  ASSERT_EQ(cudnnSetConvolution2dDescriptor(conv, static_cast<int>(k.pad), static_cast<int>(k.pad),
                                            static_cast<int>(k.stride), static_cast<int>(k.stride), 1, 1,
                                            CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
            CUDNN_STATUS_SUCCESS);
  ASSERT_EQ(cudnnSetConvolutionMathType(conv, CUDNN_FMA_MATH), CUDNN_STATUS_SUCCESS);
  const Tensor x_gpu = x.to(kGpu), w_gpu = cpu.weight().value.to(kGpu), dy_gpu = dy.to(kGpu);
  Tensor out_y = Tensor::empty(y.shape(), kGpu), out_dx = Tensor::empty(x.shape(), kGpu),
         out_dw = Tensor::empty(ws, kGpu);
  const float one = 1.0f, zero = 0.0f;

  // Runs each FMA algorithm of one direction that cuDNN found working, and
  // reports its error against `reference`; at least one of them must be one
  // convoy may take.
  auto each = [&](const char* direction, auto* results, int capacity, auto find, auto run, const Tensor& out,
                  const Tensor& reference) {
    int count = 0, checked = 0;
    ASSERT_EQ(find(capacity, &count, results), CUDNN_STATUS_SUCCESS);
    for (int i = 0; i < count; ++i) {
      const auto& r = results[i];
      if (r.status != CUDNN_STATUS_SUCCESS || r.mathType != CUDNN_FMA_MATH || r.memory > (size_t{1} << 30)) continue;
      void* workspace = c.workspace(r.memory);
      ASSERT_EQ(run(r.algo, workspace, r.memory), CUDNN_STATUS_SUCCESS) << direction << " algorithm " << r.algo;
      const double error = relative_error(out, reference);
      const bool allowed = cuda::keeps_fp32_precision(r.algo, k.kernel == 3);
      std::printf("%-22s %-16s algorithm %d: relative error %.2e%s\n", k.name, direction, static_cast<int>(r.algo),
                  error, allowed ? "" : " (not taken in fp32)");
      if (allowed) {
        EXPECT_LT(error, 1e-4) << direction << " algorithm " << r.algo;
      }
      checked += allowed;
    }
    EXPECT_GT(checked, 0) << direction << ": no true fp32 algorithm was offered";
  };
  int n = 0;
  cudnnGetConvolutionForwardAlgorithmMaxCount(c.cudnn, &n);
  std::vector<cudnnConvolutionFwdAlgoPerf_t> forward(static_cast<size_t>(n));
  each("forward", forward.data(), n,
       [&](int cap, int* count, auto* out) {
         return cudnnFindConvolutionForwardAlgorithm(c.cudnn, xd, wd, conv, yd, cap, count, out);
       },
       [&](cudnnConvolutionFwdAlgo_t algo, void* ws_ptr, size_t bytes) {
         return cudnnConvolutionForward(c.cudnn, &one, xd, x_gpu.device_data(), wd, w_gpu.device_data(), conv, algo,
                                        ws_ptr, bytes, &zero, yd, out_y.device_data());
       },
       out_y, y);
  cudnnGetConvolutionBackwardDataAlgorithmMaxCount(c.cudnn, &n);
  std::vector<cudnnConvolutionBwdDataAlgoPerf_t> data(static_cast<size_t>(n));
  each("backward data", data.data(), n,
       [&](int cap, int* count, auto* out) {
         return cudnnFindConvolutionBackwardDataAlgorithm(c.cudnn, wd, yd, conv, xd, cap, count, out);
       },
       [&](cudnnConvolutionBwdDataAlgo_t algo, void* ws_ptr, size_t bytes) {
         return cudnnConvolutionBackwardData(c.cudnn, &one, wd, w_gpu.device_data(), yd, dy_gpu.device_data(), conv,
                                             algo, ws_ptr, bytes, &zero, xd, out_dx.device_data());
       },
       out_dx, dx);
  cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(c.cudnn, &n);
  std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> filter(static_cast<size_t>(n));
  each("backward weights", filter.data(), n,
       [&](int cap, int* count, auto* out) {
         return cudnnFindConvolutionBackwardFilterAlgorithm(c.cudnn, xd, yd, conv, wd, cap, count, out);
       },
       [&](cudnnConvolutionBwdFilterAlgo_t algo, void* ws_ptr, size_t bytes) {
         return cudnnConvolutionBackwardFilter(c.cudnn, &one, xd, x_gpu.device_data(), yd, dy_gpu.device_data(), conv,
                                               algo, ws_ptr, bytes, &zero, wd, out_dw.device_data());
       },
       out_dw, dw);
}

TEST(CudnnAlgorithms, EveryTrueFp32AlgorithmForAlexNetsConvolutionsMatchesTheCpu) {
  CONVOY_REQUIRE_GPU();
  for (const ConvCase& k : {ConvCase{"conv1 11x11 s4, b4", 3, 96, 11, 4, 0, Shape{4, 3, 99, 99}},
                            ConvCase{"conv2 5x5 p2, b4", 96, 256, 5, 1, 2, Shape{4, 96, 11, 11}},
                            ConvCase{"conv3 3x3 p1, b4", 256, 384, 3, 1, 1, Shape{4, 256, 5, 5}},
                            ConvCase{"conv4 3x3 p1, b4", 384, 384, 3, 1, 1, Shape{4, 384, 5, 5}},
                            ConvCase{"conv2 5x5 p2, b16", 96, 256, 5, 1, 2, Shape{16, 96, 27, 27}},
                            ConvCase{"conv3 3x3 p1, b16", 256, 384, 3, 1, 1, Shape{16, 256, 13, 13}}})
    check_every_algorithm(k);
}

}  // namespace
}  // namespace convoy
