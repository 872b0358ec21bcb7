// Local response normalisation across channels on cuDNN, with docs/models.md's
// parameters mapped as on the CPU: cuDNN divides alpha by its always-centred
// window, so window = 2 * (n / 2) + 1 and cuDNN's alpha = alpha * window.
// cuDNN takes windows of 1 to 16 channels, k >= 1e-5 and beta >= 0.01;
// outside that range (the documents' worked example has k = 0) a plain
// kernel computes the definition itself (cuda_kernels.h).
#include "backend/cuda/cuda_kernels.h"
#include "backend/cuda/cuda_ops.h"
#include "backend/cuda/cudnn_descriptors.h"
#include "core/error.h"

namespace convoy::cuda {

namespace {

class CudaLrn final : public LrnOp {
 public:
  CudaLrn(const LrnConfig& config, int device) : config_(config), device_(device) {
    CONVOY_CHECK(config.local_size >= 1, "LRN local_size must be >= 1, got ", config.local_size);
    const unsigned window = static_cast<unsigned>(2 * (config.local_size / 2) + 1);
    own_kernel_ = window > CUDNN_LRN_MAX_N || config.k < CUDNN_LRN_MIN_K || config.beta < CUDNN_LRN_MIN_BETA;
    if (!own_kernel_)
      CONVOY_CUDA(cudnnSetLRNDescriptor, "lrn", lrn_, window, config.alpha * window, config.beta, config.k);
  }

  void forward(const Tensor& x, Tensor& y, bool training) override {
    require_on(x, device_, "LRN input");
    describe(x.shape());
    DeviceContext& c = context(device_);
    y.ensure_shape(x.shape(), x.device());
    if (own_kernel_) {
      scale_.ensure_shape(x.shape(), x.device());
      lrn_forward(x.device_data(), y.device_data(), scale_.device_data(), x.dim(0), x.dim(1), x.dim(2) * x.dim(3),
                  radius(), static_cast<float>(config_.alpha), static_cast<float>(config_.beta),
                  static_cast<float>(config_.k), c.stream);
      output_ = training ? y : Tensor();
      return;
    }
    const float one = 1.0f, zero = 0.0f;
    CONVOY_CUDA(cudnnLRNCrossChannelForward, "lrn forward", c.cudnn, lrn_, CUDNN_LRN_CROSS_CHANNEL_DIM1, &one, data_,
                x.device_data(), &zero, data_, y.device_data());
    output_ = training ? y : Tensor();
  }

  void backward(const Tensor& x, const Tensor& dy, Tensor& dx) override {
    CONVOY_CHECK(output_.defined() && x.shape() == shape_, "LRN backward needs a training forward of the same input");
    require_on(dy, device_, "LRN output gradient");
    DeviceContext& c = context(device_);
    dx.ensure_shape(x.shape(), x.device());
    if (own_kernel_) {
      lrn_backward(x.device_data(), output_.device_data(), scale_.device_data(), dy.device_data(), dx.device_data(),
                   x.dim(0), x.dim(1), x.dim(2) * x.dim(3), radius(), static_cast<float>(config_.alpha),
                   static_cast<float>(config_.beta), c.stream);
      return;
    }
    const float one = 1.0f, zero = 0.0f;
    CONVOY_CUDA(cudnnLRNCrossChannelBackward, "lrn backward", c.cudnn, lrn_, CUDNN_LRN_CROSS_CHANNEL_DIM1, &one, data_,
                output_.device_data(), data_, dy.device_data(), data_, x.device_data(), &zero, data_,
                dx.device_data());
  }

 private:
  int radius() const { return static_cast<int>(config_.local_size / 2); }
  void describe(const Shape& shape) {
    if (shape == shape_) return;
    CONVOY_CHECK(shape.rank() == 4, "LRN expects (N, C, H, W), got ", shape.to_string());
    set_nchw(data_, shape, "LRN data");
    shape_ = shape;
  }

  LrnConfig config_;
  int device_;
  bool own_kernel_ = false;  // parameters cuDNN refuses
  Tensor scale_;             // k + alpha * window sum, kept for backward (own kernel)
  LrnDescriptor lrn_;
  TensorDescriptor data_;
  Shape shape_;
  Tensor output_;
};

}  // namespace

std::unique_ptr<LrnOp> make_cuda_lrn(const LrnConfig& config, int device) {
  return std::make_unique<CudaLrn>(config, device);
}

}  // namespace convoy::cuda
