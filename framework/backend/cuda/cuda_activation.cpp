// ReLU and sigmoid on cuDNN; both differentiate from the forward output.
#include "backend/cuda/cuda_ops.h"
#include "backend/cuda/cudnn_descriptors.h"
#include "core/error.h"

namespace convoy::cuda {

void require_on(const Tensor& t, int device, const char* what) {
  CONVOY_CHECK(t.device() == Device::cuda(device) && t.is_plain(), what, " must be a plain tensor on cuda:", device,
               ", it is on ", to_string(t.device()));
}

cudnnActivationMode_t activation_mode(ActivationKind kind) {
  return kind == ActivationKind::kRelu ? CUDNN_ACTIVATION_RELU : CUDNN_ACTIVATION_SIGMOID;
}

namespace {

class CudaActivation final : public ActivationOp {
 public:
  CudaActivation(ActivationKind kind, int device) : kind_(kind), device_(device) {
    CONVOY_CUDA(cudnnSetActivationDescriptor, name(), activation_, activation_mode(kind), CUDNN_PROPAGATE_NAN, 0.0);
  }

  void forward(const Tensor& x, Tensor& y) override {
    require_on(x, device_, "activation input");
    DeviceContext& c = context(device_);
    describe(x.shape());
    y.ensure_shape(x.shape(), x.device());
    const float one = 1.0f, zero = 0.0f;
    CONVOY_CUDA(cudnnActivationForward, name(), c.cudnn, activation_, &one, data_, x.device_data(), &zero, data_,
                y.device_data());
  }

  void backward(const Tensor& y, const Tensor& dy, Tensor& dx) override {
    require_on(y, device_, "activation output");
    require_on(dy, device_, "activation gradient");
    DeviceContext& c = context(device_);
    describe(y.shape());
    dx.ensure_shape(y.shape(), y.device());
    const float one = 1.0f, zero = 0.0f;
    // ReLU and sigmoid need only y; cuDNN takes x too and ignores it for them.
    CONVOY_CUDA(cudnnActivationBackward, name(), c.cudnn, activation_, &one, data_, y.device_data(), data_,
                dy.device_data(), data_, y.device_data(), &zero, data_, dx.device_data());
  }

 private:
  const char* name() const { return kind_ == ActivationKind::kRelu ? "relu" : "sigmoid"; }
  void describe(const Shape& shape) {
    if (shape == shape_) return;
    // Element-wise: (N, C, H, W) as it is, any other shape as (N, rest, 1, 1).
    if (shape.rank() == 4)
      set_nchw(data_, shape, name());
    else
      CONVOY_CUDA(cudnnSetTensor4dDescriptor, name(), data_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                  static_cast<int>(shape[0]), static_cast<int>(shape.per_sample()), 1, 1);
    shape_ = shape;
  }

  ActivationKind kind_;
  int device_;
  ActivationDescriptor activation_;
  TensorDescriptor data_;
  Shape shape_;
};

}  // namespace

std::unique_ptr<ActivationOp> make_cuda_activation(ActivationKind kind, int device) {
  return std::make_unique<CudaActivation>(kind, device);
}

}  // namespace convoy::cuda
