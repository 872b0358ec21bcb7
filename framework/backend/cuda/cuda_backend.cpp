// The CUDA backend of one device: cuDNN and cuBLAS ops plus the few kernels
// no library call fits (dropout with the CPU's keyed masks, softmax
// cross-entropy, the SGD update). Tensors are plain NCHW on the device.
#include <algorithm>
#include <memory>
#include <mutex>
#include <vector>

#include "backend/backend.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/cuda_device.h"
#include "backend/cuda/cuda_kernels.h"
#include "backend/cuda/cuda_ops.h"
#include "backend/cuda/per_device.h"
#include "core/error.h"

namespace convoy {

namespace {

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device) : device_(device) { cuda::context(device); }

  // "cuda:0 (NVIDIA H200, sm_90, 139.8 GiB; cuDNN 91900, fp32, measured algorithms)";
  // under --deterministic, "deterministic algorithms" (the heuristics choose).
  std::string name() const override {
    const cuda::Math m = cuda::math();
    return "cuda:" + std::to_string(device_) + " (" + cuda::describe_device(device_) + "; cuDNN " +
           std::to_string(cudnnGetVersion()) + ", " +
           (m == cuda::Math::kTf32 ? "tf32" : m == cuda::Math::kBf16 ? "bf16" : "fp32") + ", " +
           (cuda::deterministic_algorithms() ? "deterministic"
            : cuda::measured_algorithms()    ? "measured"
                                             : "heuristic") +
           " algorithms)";
  }

  std::unique_ptr<Convolution2dOp> make_convolution2d(const Convolution2dConfig& c) override {
    return cuda::make_cuda_convolution2d(c, device_);
  }
  std::unique_ptr<Pooling2dOp> make_pooling2d(const Pooling2dConfig& c) override {
    return cuda::make_cuda_pooling2d(c, device_);
  }
  std::unique_ptr<LrnOp> make_lrn(const LrnConfig& c) override { return cuda::make_cuda_lrn(c, device_); }
  std::unique_ptr<ActivationOp> make_activation(ActivationKind kind) override {
    return cuda::make_cuda_activation(kind, device_);
  }
  std::unique_ptr<LinearOp> make_linear() override { return cuda::make_cuda_linear(device_); }

  void to_plain(const Tensor& src, Tensor& dst) override {
    cuda::require_on(src, device_, "to_plain source");  // CUDA tensors are always plain
    dst.ensure_shape(src.shape(), src.device());
    CONVOY_CUDA(cudaMemcpyAsync, "to_plain", dst.device_data(), src.device_data(),
                static_cast<size_t>(src.numel()) * sizeof(float), cudaMemcpyDeviceToDevice, stream());
  }

  void dropout_forward(const Tensor& x, float keep, uint64_t seed, uint64_t step, uint32_t layer,
                       std::span<const int64_t> sample_ids, Tensor& mask, Tensor& y) override {
    cuda::require_on(x, device_, "dropout input");
    const int64_t batch = x.dim(0), width = x.shape().per_sample();
    CONVOY_CHECK(static_cast<int64_t>(sample_ids.size()) == batch, "dropout needs one sample id per row: ",
                 sample_ids.size(), " ids for batch ", batch);
    CONVOY_CHECK(keep > 0.0f && keep <= 1.0f, "dropout keep probability must be in (0, 1], got ", keep);
    CONVOY_CHECK(step < (uint64_t{1} << 32), "dropout step ", step, " does not fit the random stream's 32 bits");
    CONVOY_CHECK(layer < (1u << 24), "dropout layer id ", layer, " does not fit the random stream's 24 bits");
    for (int64_t id : sample_ids)
      CONVOY_CHECK(id >= 0 && id < (int64_t{1} << 32), "sample id ", id, " does not fit the random stream's 32 bits");
    mask.ensure_shape(x.shape(), x.device());
    y.ensure_shape(x.shape(), x.device());
    int64_t* ids = device_buffer<int64_t>(sample_ids_, sample_ids.size_bytes());
    CONVOY_CUDA(cudaMemcpyAsync, "dropout sample ids", ids, sample_ids.data(), sample_ids.size_bytes(),
                cudaMemcpyHostToDevice, stream());
    cuda::dropout_forward(x.device_data(), mask.device_data(), y.device_data(), batch, width, keep, seed,
                          static_cast<uint32_t>(step), layer, ids, stream());
  }

  void multiply(const Tensor& a, const Tensor& b, Tensor& out) override {
    cuda::require_on(a, device_, "multiply input");
    cuda::require_on(b, device_, "multiply input");
    CONVOY_CHECK(a.numel() == b.numel(), "multiply of ", a.shape().to_string(), " and ", b.shape().to_string());
    out.ensure_shape(a.shape(), a.device());
    cuda::multiply(a.device_data(), b.device_data(), out.device_data(), a.numel(), stream());
  }

  double softmax_cross_entropy(const Tensor& logits, std::span<const int32_t> labels, Tensor& probabilities,
                               Tensor& grad_logits) override {
    cuda::require_on(logits, device_, "logits");
    check_class_labels(logits, labels, "softmax cross-entropy");
    const int64_t batch = logits.dim(0), classes = logits.dim(1);
    probabilities.ensure_shape(logits.shape(), logits.device());
    grad_logits.ensure_shape(logits.shape(), logits.device());
    int32_t* device_labels = device_buffer<int32_t>(labels_, labels.size_bytes());
    double* row_loss = device_buffer<double>(row_loss_, static_cast<size_t>(batch) * sizeof(double));
    CONVOY_CUDA(cudaMemcpyAsync, "labels", device_labels, labels.data(), labels.size_bytes(), cudaMemcpyHostToDevice,
                stream());
    cuda::softmax_cross_entropy(logits.device_data(), device_labels, probabilities.device_data(),
                                grad_logits.device_data(), row_loss, batch, classes, stream());
    host_loss_.resize(static_cast<size_t>(batch));
    CONVOY_CUDA(cudaMemcpyAsync, "loss", host_loss_.data(), row_loss, host_loss_.size() * sizeof(double),
                cudaMemcpyDeviceToHost, stream());
    cuda::context(device_).synchronize();  // the loss is read on the host
    double total = 0.0;
    for (double l : host_loss_) total += l;
    return total / static_cast<double>(batch);
  }

  void sgd_step(Tensor& weight, const Tensor& grad, Tensor& velocity, const SgdHyper& h) override {
    cuda::require_on(weight, device_, "weight");
    cuda::require_on(grad, device_, "gradient");
    cuda::require_on(velocity, device_, "momentum");
    CONVOY_CHECK(weight.numel() == grad.numel() && weight.numel() == velocity.numel(),
                 "SGD step on mismatched tensors ", weight.shape().to_string(), ", ", grad.shape().to_string(), ", ",
                 velocity.shape().to_string());
    cuda::sgd_step(weight.device_data(), grad.device_data(), velocity.device_data(), weight.numel(), h.lr, h.momentum,
                   h.weight_decay, h.grad_scale, stream());
  }

  int64_t count_top_k_correct(const Tensor& scores, std::span<const int32_t> labels, int k) override {
    cuda::require_on(scores, device_, "top-k scores");
    check_class_labels(scores, labels, "top-k count");
    int32_t* device_labels = device_buffer<int32_t>(labels_, labels.size_bytes());
    auto* correct = device_buffer<unsigned long long>(counter_, sizeof(unsigned long long));
    CONVOY_CUDA(cudaMemcpyAsync, "top-k labels", device_labels, labels.data(), labels.size_bytes(),
                cudaMemcpyHostToDevice, stream());
    CONVOY_CUDA(cudaMemsetAsync, "top-k count", correct, 0, sizeof(unsigned long long), stream());
    cuda::count_top_k_correct(scores.device_data(), device_labels, scores.dim(0), scores.dim(1), k, correct, stream());
    return static_cast<int64_t>(read_counter(correct));
  }

  int64_t first_non_finite(const Tensor& t) override {
    cuda::require_on(t, device_, "the tensor scanned for non-finite values");
    auto* first = device_buffer<unsigned long long>(counter_, sizeof(unsigned long long));
    CONVOY_CUDA(cudaMemsetAsync, "non-finite scan", first, 0xff, sizeof(unsigned long long), stream());
    cuda::first_non_finite(t.device_data(), t.numel(), first, stream());
    const unsigned long long index = read_counter(first);
    return index == ~0ull ? -1 : static_cast<int64_t>(index);
  }

  void round_to_bf16(const float* src, uint16_t* dst, int64_t n) override {
    cuda::round_to_bf16(src, dst, n, stream());
  }
  void widen_from_bf16(const uint16_t* src, float* dst, int64_t n) override {
    cuda::widen_from_bf16(src, dst, n, stream());
  }

 private:
  cudaStream_t stream() { return cuda::context(device_).stream; }

  // Copies one device counter to the host once the stream has produced it.
  unsigned long long read_counter(const unsigned long long* counter) {
    unsigned long long value = 0;
    CONVOY_CUDA(cudaMemcpyAsync, "counter", &value, counter, sizeof value, cudaMemcpyDeviceToHost, stream());
    cuda::context(device_).synchronize();
    return value;
  }

  // A device buffer of at least `bytes`, grown on demand and kept.
  template <typename T>
  T* device_buffer(Tensor& buffer, size_t bytes) {
    const int64_t floats = static_cast<int64_t>((bytes + sizeof(float) - 1) / sizeof(float));
    if (!buffer.defined() || buffer.numel() < floats) buffer = Tensor::empty(Shape{std::max<int64_t>(floats, 64)}, Device::cuda(device_));
    return reinterpret_cast<T*>(buffer.device_data());
  }

  int device_;
  Tensor sample_ids_, labels_, row_loss_, counter_;
  std::vector<double> host_loss_;
};

}  // namespace

Backend& cuda_backend(int device) {
  static auto& backends = *new cuda::PerDevice<CudaBackend>;  // never destroyed: see per_device.h
  return backends.get(device, [device] { return std::make_unique<CudaBackend>(device); });
}

}  // namespace convoy
