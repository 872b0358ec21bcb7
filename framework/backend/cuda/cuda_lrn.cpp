// Local response normalisation across channels on cuDNN, with docs/models.md's
// parameters mapped as on the CPU: cuDNN divides alpha by its always-centred
// window, so window = 2 * (n / 2) + 1 and cuDNN's alpha = alpha * window.
// cuDNN takes windows of 1 to 16 channels, k >= 1e-5 and beta >= 0.01;
// outside that range a configuration is refused when the op is made.
#include "backend/cuda/cuda_ops.h"
#include "backend/cuda/cudnn_descriptors.h"
#include "core/error.h"

namespace convoy::cuda {

namespace {

class CudaLrn final : public LrnOp {
 public:
  CudaLrn(const LrnConfig& config, int device) : device_(device) {
    const unsigned window = static_cast<unsigned>(2 * (config.local_size / 2) + 1);
    if (window > CUDNN_LRN_MAX_N || config.k < CUDNN_LRN_MIN_K || config.beta < CUDNN_LRN_MIN_BETA)
      CONVOY_USER_ERROR("LRN with n=", config.local_size, " k=", config.k, " beta=", config.beta,
                        " is outside what cuDNN computes (window <= ", CUDNN_LRN_MAX_N, ", k >= ", CUDNN_LRN_MIN_K,
                        ", beta >= ", CUDNN_LRN_MIN_BETA, "); train it on the CPU");
    CONVOY_CUDA(cudnnSetLRNDescriptor, "lrn", lrn_, window, config.alpha * window, config.beta, config.k);
  }

  void forward(const Tensor& x, Tensor& y, bool training) override {
    require_on(x, device_, "LRN input");
    describe(x.shape());
    DeviceContext& c = context(device_);
    y.ensure_shape(x.shape(), x.device());
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
    const float one = 1.0f, zero = 0.0f;
    CONVOY_CUDA(cudnnLRNCrossChannelBackward, "lrn backward", c.cudnn, lrn_, CUDNN_LRN_CROSS_CHANNEL_DIM1, &one, data_,
                output_.device_data(), data_, dy.device_data(), data_, x.device_data(), &zero, data_,
                dx.device_data());
  }

 private:
  void describe(const Shape& shape) {
    if (shape == shape_) return;
    CONVOY_CHECK(shape.rank() == 4, "LRN expects (N, C, H, W), got ", shape.to_string());
    set_nchw(data_, shape, "LRN data");
    shape_ = shape;
  }

  int device_;
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
