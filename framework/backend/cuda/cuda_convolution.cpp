// Convolution on cuDNN: per input shape, descriptors and an algorithm for
// each direction, chosen once by cuDNN's heuristics (the fastest that fits
// the workspace limit; only deterministic ones after
// set_deterministic_algorithms(true)), in the math of cuda_context.h's Math
// when the op is made: true fp32, TF32 tensor cores, or bf16 (the input,
// weight and output gradient rounded to bf16, fp32 accumulation, results
// widened back to fp32). The bias is added in fp32 with cudnnAddTensor, a
// fused activation applied in place after it.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "backend/cuda/conv_algorithm_precision.h"
#include "backend/cuda/cuda_ops.h"
#include "backend/cuda/cudnn_descriptors.h"
#include "core/error.h"

namespace convoy::cuda {

namespace {

constexpr size_t kWorkspaceLimit = size_t{1} << 30;  // 1 GiB

// The first of cuDNN's ranked algorithms that succeeded, fits the workspace
// limit, is deterministic when asked and, in true fp32, runs in FMA math
// (cuDNN ranks each algorithm with the math type it would run in, and
// CUDNN_DEFAULT_MATH lets fp32 use TF32 tensor cores) and keeps fp32's
// precision at this filter size (conv_algorithm_precision.h: no Winograd but
// on 3x3 filters).
template <typename Perf>
std::optional<Perf> first_usable(const Perf* results, int count, Math math, bool filter_3x3) {
  const bool deterministic = deterministic_algorithms();
  for (int i = 0; i < count; ++i) {
    const Perf& r = results[i];
    if (r.status != CUDNN_STATUS_SUCCESS || r.memory > kWorkspaceLimit) continue;
    if (deterministic && r.determinism != CUDNN_DETERMINISTIC) continue;
    if (math == Math::kFp32 && (r.mathType != CUDNN_FMA_MATH || !keeps_fp32_precision(r.algo, filter_3x3))) continue;
    if (r.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) continue;  // would round fp32 to fp16
    return r;
  }
  return std::nullopt;
}

// The algorithm of one direction (forward, backward data or backward
// weights). Measured: cuDNN runs every algorithm on scratch buffers and ranks
// them by time (cudnnFind*, PyTorch's cudnn.benchmark), once per shape; when
// that fails or offers none usable, when not measuring, and under
// --deterministic (a timing race must not pick one deterministic algorithm in
// one run and another in the next), cuDNN's heuristics rank them. `find` and
// `rank` fill up to `capacity` results (the direction's
// cudnnGet*AlgorithmMaxCount: an algorithm may come in several math types).
// With CONVOY_LOG_CONV_ALGORITHMS=1 in the environment, one line on stderr per
// choice: "conv: convolution (128, 3, 227, 227) forward: algorithm 1, math 2
// (FMA), measured 1.234 ms, workspace 12.5 MiB".
template <typename Perf>
Perf logged(const Perf& chosen, const std::string& what, bool measured) {
  static const bool log = [] {
    const char* value = std::getenv("CONVOY_LOG_CONV_ALGORITHMS");
    return value && *value && std::string(value) != "0";
  }();
  if (log) {
    const char* math = chosen.mathType == CUDNN_FMA_MATH         ? "FMA"
                       : chosen.mathType == CUDNN_TENSOR_OP_MATH ? "tensor op"
                       : chosen.mathType == CUDNN_DEFAULT_MATH   ? "default"
                                                                 : "other";
    std::fprintf(stderr, "conv: %s: algorithm %d, math %d (%s), %s %.3f ms, workspace %.1f MiB\n", what.c_str(),
                 static_cast<int>(chosen.algo), static_cast<int>(chosen.mathType), math,
                 measured ? "measured" : "heuristic, time", static_cast<double>(chosen.time),
                 static_cast<double>(chosen.memory) / (1024.0 * 1024.0));
  }
  return chosen;
}

template <typename Perf, typename Find, typename Rank>
Perf choose_algorithm(int capacity, Find find, Rank rank, Math math, bool filter_3x3, const std::string& what) {
  std::vector<Perf> results(static_cast<size_t>(std::max(capacity, 1)));
  int count = 0;
  if (measured_algorithms() && !deterministic_algorithms()) {
    const cudnnStatus_t status = find(capacity, &count, results.data());
    if (status == CUDNN_STATUS_SUCCESS)
      if (const auto chosen = first_usable(results.data(), count, math, filter_3x3)) return logged(*chosen, what, true);
    static std::atomic<bool> said{false};  // once per direction and process
    if (!said.exchange(true))
      std::fprintf(stderr, "note: measuring cuDNN's algorithms for %s %s%s; taking its heuristics' choice\n",
                   what.c_str(), status == CUDNN_STATUS_SUCCESS ? "found none usable" : "failed: ",
                   status == CUDNN_STATUS_SUCCESS ? "" : cudnnGetErrorString(status));
  }
  check(rank(capacity, &count, results.data()), "cudnnGetConvolution*Algorithm_v7", what);
  if (const auto chosen = first_usable(results.data(), count, math, filter_3x3)) return logged(*chosen, what, false);
  CONVOY_THROW("cuDNN offers no ", deterministic_algorithms() ? "deterministic " : "",
               math == Math::kFp32 ? "true fp32 " : "", "algorithm for ", what, " within a workspace of ",
               kWorkspaceLimit, " bytes");
}

class CudaConvolution final : public Convolution2dOp {
 public:
  CudaConvolution(const Convolution2dConfig& config, int device)
      : config_(config), device_(device), math_(math()) {
    if (config.fused_activation)
      CONVOY_CUDA(cudnnSetActivationDescriptor, "conv activation", activation_,
                  activation_mode(*config.fused_activation), CUDNN_PROPAGATE_NAN, 0.0);
  }

  void forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y) override {
    require_on(x, device_, "convolution input");
    require_on(weight, device_, "convolution weight");
    State& s = state_for(x.shape());
    DeviceContext& c = context(device_);
    y.ensure_shape(s.y_shape, x.device());
    const float one = 1.0f, zero = 0.0f;
    if (bf16()) {  // x and the weight stay rounded for backward (neither changes before it)
      uint16_t* y16 = y16_.words(y.numel(), device_);
      CONVOY_CUDA(cudnnConvolutionForward, "convolution forward", c.cudnn, &one, s.x, x16_.round(x, device_, c.stream),
                  s.w, w16_.round(weight, device_, c.stream), s.forward_conv, s.forward_algo, c.workspace(s.workspace_bytes),
                  s.workspace_bytes, &zero, s.y, y16);
      widen_from_bf16(y16, y.device_data(), y.numel(), c.stream);
      dy16_ready_ = false;
    } else {
      CONVOY_CUDA(cudnnConvolutionForward, "convolution forward", c.cudnn, &one, s.x, x.device_data(), s.w,
                  weight.device_data(), s.forward_conv, s.forward_algo, c.workspace(s.workspace_bytes), s.workspace_bytes,
                  &zero, s.y, y.device_data());
    }
    CONVOY_CUDA(cudnnAddTensor, "convolution bias", c.cudnn, &one, s.bias, bias.device_data(), &one, s.y32,
                y.device_data());
    if (config_.fused_activation)
      CONVOY_CUDA(cudnnActivationForward, "convolution activation", c.cudnn, activation_, &one, s.y32,
                  y.device_data(), &zero, s.y32, y.device_data());
  }

  void backward_data(const Tensor& dy, const Tensor& weight, Tensor& dx) override {
    CONVOY_CHECK(state_, "convolution backward before forward");
    State& s = *state_;
    require_on(dy, device_, "convolution output gradient");
    CONVOY_CHECK(dy.shape() == s.y_shape, "convolution backward got dy ", dy.shape().to_string(), ", expected ",
                 s.y_shape.to_string());
    DeviceContext& c = context(device_);
    dx.ensure_shape(s.x_shape, dy.device());
    const float one = 1.0f, zero = 0.0f;
    if (bf16()) {
      uint16_t* dx16 = dx16_.words(dx.numel(), device_);
      CONVOY_CUDA(cudnnConvolutionBackwardData, "convolution backward data", c.cudnn, &one, s.w, w16_.data(), s.y,
                  rounded_dy(dy, c), s.data_conv, s.data_algo, c.workspace(s.workspace_bytes), s.workspace_bytes, &zero,
                  s.x, dx16);
      widen_from_bf16(dx16, dx.device_data(), dx.numel(), c.stream);
      return;
    }
    CONVOY_CUDA(cudnnConvolutionBackwardData, "convolution backward data", c.cudnn, &one, s.w, weight.device_data(),
                s.y, dy.device_data(), s.data_conv, s.data_algo, c.workspace(s.workspace_bytes), s.workspace_bytes,
                &zero, s.x, dx.device_data());
  }

  void backward_weights(const Tensor& x, const Tensor& dy, Tensor& dweight, Tensor& dbias,
                        bool accumulate) override {
    require_on(x, device_, "convolution input");
    require_on(dy, device_, "convolution output gradient");
    require_on(dweight, device_, "convolution weight gradient");
    State& s = state_for(x.shape());
    DeviceContext& c = context(device_);
    const float one = 1.0f, zero = 0.0f, beta = accumulate ? 1.0f : 0.0f;
    if (bf16()) {
      uint16_t* dw16 = dw16_.words(dweight.numel(), device_);
      CONVOY_CUDA(cudnnConvolutionBackwardFilter, "convolution backward weights", c.cudnn, &one, s.x, x16_.data(),
                  s.y, rounded_dy(dy, c), s.filter_conv, s.filter_algo, c.workspace(s.workspace_bytes), s.workspace_bytes,
                  &zero, s.w, dw16);
      if (accumulate)
        add_widened_bf16(dw16, dweight.device_data(), dweight.numel(), c.stream);
      else
        widen_from_bf16(dw16, dweight.device_data(), dweight.numel(), c.stream);
    } else {
      CONVOY_CUDA(cudnnConvolutionBackwardFilter, "convolution backward weights", c.cudnn, &one, s.x,
                  x.device_data(), s.y, dy.device_data(), s.filter_conv, s.filter_algo, c.workspace(s.workspace_bytes),
                  s.workspace_bytes, &beta, s.w, dweight.device_data());
    }
    CONVOY_CUDA(cudnnConvolutionBackwardBias, "convolution backward bias", c.cudnn, &one, s.y32, dy.device_data(),
                &beta, s.bias, dbias.device_data());
  }

 private:
  bool bf16() const { return math_ == Math::kBf16; }
  // dy in bf16, rounded once per backward (both backward calls use it).
  const uint16_t* rounded_dy(const Tensor& dy, DeviceContext& c) {
    if (!dy16_ready_) dy16_.round(dy, device_, c.stream);
    dy16_ready_ = true;
    return dy16_.data();
  }

  struct State {
    Shape x_shape, y_shape;
    TensorDescriptor x, y, bias;  // x and y in the convolution's data type
    TensorDescriptor y32;         // y in fp32: the bias, the activation and the bias gradient
    FilterDescriptor w;
    // One per direction: each carries the math type its algorithm was ranked
    // in, which together with the algorithm decides the kernels cuDNN runs.
    ConvolutionDescriptor forward_conv, data_conv, filter_conv;
    cudnnConvolutionFwdAlgo_t forward_algo{};
    cudnnConvolutionBwdDataAlgo_t data_algo{};
    cudnnConvolutionBwdFilterAlgo_t filter_algo{};
    size_t workspace_bytes = 0;
  };

  // The cuDNN descriptors of t.x_shape: input, weight, output and bias
  // tensors, and one convolution descriptor per direction.
  void describe(State& s) {
    const Shape& x_shape = s.x_shape;
    const cudnnDataType_t type = bf16() ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT;
    set_nchw(s.x, x_shape, "convolution input", type);
    CONVOY_CUDA(cudnnSetFilter4dDescriptor, "convolution weight", s.w, type, CUDNN_TENSOR_NCHW,
                static_cast<int>(config_.out_channels), static_cast<int>(config_.in_channels),
                static_cast<int>(config_.kernel_h), static_cast<int>(config_.kernel_w));
    for (ConvolutionDescriptor* conv : {&s.forward_conv, &s.data_conv, &s.filter_conv}) {
      CONVOY_CUDA(cudnnSetConvolution2dDescriptor, "convolution", *conv, static_cast<int>(config_.pad_h),
                  static_cast<int>(config_.pad_w), static_cast<int>(config_.stride_h),
                  static_cast<int>(config_.stride_w), 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT);
      // The math the heuristics may rank in; fp32 accumulation in every one.
      // FMA_MATH forbids TF32, DEFAULT_MATH allows it.
      CONVOY_CUDA(cudnnSetConvolutionMathType, "convolution", *conv,
                  math_ == Math::kFp32   ? CUDNN_FMA_MATH
                  : math_ == Math::kTf32 ? CUDNN_DEFAULT_MATH
                                         : CUDNN_TENSOR_OP_MATH);
    }
    int n = 0, ch = 0, h = 0, w = 0;
    CONVOY_CUDA(cudnnGetConvolution2dForwardOutputDim, "convolution", s.forward_conv, s.x, s.w, &n, &ch, &h, &w);
    s.y_shape = Shape{n, ch, h, w};
    set_nchw(s.y, s.y_shape, "convolution output", type);
    set_nchw(s.y32, s.y_shape, "convolution output");
    CONVOY_CUDA(cudnnSetTensor4dDescriptor, "convolution bias", s.bias, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, ch, 1,
                1);
  }

  // Each direction's algorithm (measured or from the heuristics, within
  // precision's bounds), each descriptor in the math its algorithm was ranked
  // in, and the workspace for the largest.
  void choose_algorithms(State& t) {
    const Shape& x_shape = t.x_shape;
    const std::string what = "convolution " + x_shape.to_string();
    cudnnHandle_t handle = context(device_).cudnn;
    const bool filter_3x3 = config_.kernel_h == 3 && config_.kernel_w == 3;
    int forward_count = 0, data_count = 0, filter_count = 0;
    CONVOY_CUDA(cudnnGetConvolutionForwardAlgorithmMaxCount, what, handle, &forward_count);
    CONVOY_CUDA(cudnnGetConvolutionBackwardDataAlgorithmMaxCount, what, handle, &data_count);
    CONVOY_CUDA(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount, what, handle, &filter_count);
    const auto f = choose_algorithm<cudnnConvolutionFwdAlgoPerf_t>(
        forward_count, [&](int n, int* count, auto* out) {
          return cudnnFindConvolutionForwardAlgorithm(handle, t.x, t.w, t.forward_conv, t.y, n, count, out);
        },
        [&](int n, int* count, auto* out) {
          return cudnnGetConvolutionForwardAlgorithm_v7(handle, t.x, t.w, t.forward_conv, t.y, n, count, out);
        },
        math_, filter_3x3, what + " forward");
    const auto d = choose_algorithm<cudnnConvolutionBwdDataAlgoPerf_t>(
        data_count, [&](int n, int* count, auto* out) {
          return cudnnFindConvolutionBackwardDataAlgorithm(handle, t.w, t.y, t.data_conv, t.x, n, count, out);
        },
        [&](int n, int* count, auto* out) {
          return cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, t.w, t.y, t.data_conv, t.x, n, count, out);
        },
        math_, filter_3x3, what + " backward data");
    const auto g = choose_algorithm<cudnnConvolutionBwdFilterAlgoPerf_t>(
        filter_count, [&](int n, int* count, auto* out) {
          return cudnnFindConvolutionBackwardFilterAlgorithm(handle, t.x, t.y, t.filter_conv, t.w, n, count, out);
        },
        [&](int n, int* count, auto* out) {
          return cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, t.x, t.y, t.filter_conv, t.w, n, count, out);
        },
        math_, filter_3x3, what + " backward weights");
    // Each descriptor in the math its algorithm was ranked in; the workspace
    // sized for that pair.
    size_t forward_bytes = 0, data_bytes = 0, filter_bytes = 0;
    CONVOY_CUDA(cudnnSetConvolutionMathType, what, t.forward_conv, f.mathType);
    CONVOY_CUDA(cudnnGetConvolutionForwardWorkspaceSize, what, handle, t.x, t.w, t.forward_conv, t.y, f.algo,
                &forward_bytes);
    CONVOY_CUDA(cudnnSetConvolutionMathType, what, t.data_conv, d.mathType);
    CONVOY_CUDA(cudnnGetConvolutionBackwardDataWorkspaceSize, what, handle, t.w, t.y, t.data_conv, t.x, d.algo,
                &data_bytes);
    CONVOY_CUDA(cudnnSetConvolutionMathType, what, t.filter_conv, g.mathType);
    CONVOY_CUDA(cudnnGetConvolutionBackwardFilterWorkspaceSize, what, handle, t.x, t.y, t.filter_conv, t.w, g.algo,
                &filter_bytes);
    t.forward_algo = f.algo;
    t.data_algo = d.algo;
    t.filter_algo = g.algo;
    t.workspace_bytes = std::max({forward_bytes, data_bytes, filter_bytes});
  }

  // The state of x_shape, made on its first use and kept: training and
  // evaluation batches take turns without choosing their algorithms again.
  State& state_for(const Shape& x_shape) {
    if (state_ && state_->x_shape == x_shape) return *state_;
    for (const auto& kept : states_)
      if (kept->x_shape == x_shape) return *(state_ = kept.get());
    CONVOY_CHECK(x_shape.rank() == 4 && x_shape[1] == config_.in_channels, "convolution expects (N, ",
                 config_.in_channels, ", H, W), got ", x_shape.to_string());
    context(device_);  // the device context first: the descriptors and the handle belong to it
    auto s = std::make_unique<State>();
    s->x_shape = x_shape;
    describe(*s);
    choose_algorithms(*s);
    if (states_.size() == kShapesKept) states_.erase(states_.begin());  // the oldest
    states_.push_back(std::move(s));
    return *(state_ = states_.back().get());
  }

  Convolution2dConfig config_;
  int device_;
  Math math_;
  Bf16Buffer x16_, w16_, y16_, dy16_, dx16_, dw16_;  // bf16 copies (Math::kBf16)
  bool dy16_ready_ = false;
  ActivationDescriptor activation_;
  static constexpr size_t kShapesKept = 8;
  std::vector<std::unique_ptr<State>> states_;
  State* state_ = nullptr;  // the last forward's (backward_data's)
};

}  // namespace

std::unique_ptr<Convolution2dOp> make_cuda_convolution2d(const Convolution2dConfig& config, int device) {
  return std::make_unique<CudaConvolution>(config, device);
}

}  // namespace convoy::cuda
