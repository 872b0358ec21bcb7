// Max and average pooling on cuDNN. Backward needs the forward's input and
// output: the op keeps both (tensors share memory, so this copies nothing;
// the layer keeps them unchanged until its backward, as on the CPU).
#include "backend/cuda/cuda_ops.h"
#include "backend/cuda/cudnn_descriptors.h"
#include "core/error.h"

namespace convoy::cuda {

namespace {

class CudaPooling final : public Pooling2dOp {
 public:
  CudaPooling(const Pooling2dConfig& config, int device) : config_(config), device_(device) {
    // Average pooling divides by the whole window, padding included, as the CPU backend.
    const cudnnPoolingMode_t mode = config.kind == PoolingKind::kMax ? CUDNN_POOLING_MAX_DETERMINISTIC
                                                                    : CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING;
    CONVOY_CUDA(cudnnSetPooling2dDescriptor, "pooling", pooling_, mode, CUDNN_PROPAGATE_NAN,
                static_cast<int>(config.window_h), static_cast<int>(config.window_w), static_cast<int>(config.pad_h),
                static_cast<int>(config.pad_w), static_cast<int>(config.stride_h), static_cast<int>(config.stride_w));
  }

  void forward(const Tensor& x, Tensor& y, bool training) override {
    require_on(x, device_, "pooling input");
    describe(x.shape());
    DeviceContext& c = context(device_);
    y.ensure_shape(y_shape_, x.device());
    const float one = 1.0f, zero = 0.0f;
    CONVOY_CUDA(cudnnPoolingForward, "pooling forward", c.cudnn, pooling_, &one, x_, x.device_data(), &zero, y_,
                y.device_data());
    if (training) {
      input_ = x;
      output_ = y;
    } else {
      input_ = output_ = Tensor();
    }
  }

  void backward(const Tensor& dy, Tensor& dx) override {
    CONVOY_CHECK(input_.defined(), "pooling backward needs a training forward first");
    require_on(dy, device_, "pooling output gradient");
    CONVOY_CHECK(dy.shape() == y_shape_, "pooling backward got dy ", dy.shape().to_string(), ", expected ",
                 y_shape_.to_string());
    DeviceContext& c = context(device_);
    dx.ensure_shape(x_shape_, dy.device());
    const float one = 1.0f, zero = 0.0f;
    CONVOY_CUDA(cudnnPoolingBackward, "pooling backward", c.cudnn, pooling_, &one, y_, output_.device_data(), y_,
                dy.device_data(), x_, input_.device_data(), &zero, x_, dx.device_data());
  }

 private:
  void describe(const Shape& x_shape) {
    if (x_shape == x_shape_) return;
    CONVOY_CHECK(x_shape.rank() == 4, "pooling expects (N, C, H, W), got ", x_shape.to_string());
    set_nchw(x_, x_shape, "pooling input");
    int n = 0, ch = 0, h = 0, w = 0;
    CONVOY_CUDA(cudnnGetPooling2dForwardOutputDim, "pooling", pooling_, x_, &n, &ch, &h, &w);
    y_shape_ = Shape{n, ch, h, w};
    set_nchw(y_, y_shape_, "pooling output");
    x_shape_ = x_shape;
  }

  Pooling2dConfig config_;
  int device_;
  PoolingDescriptor pooling_;
  TensorDescriptor x_, y_;
  Shape x_shape_, y_shape_;
  Tensor input_, output_;
};

}  // namespace

std::unique_ptr<Pooling2dOp> make_cuda_pooling2d(const Pooling2dConfig& config, int device) {
  return std::make_unique<CudaPooling>(config, device);
}

}  // namespace convoy::cuda
