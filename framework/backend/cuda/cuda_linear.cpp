// Fully connected layer on cuBLAS (true fp32: pedantic math, no TF32). The
// row-major tensors are column-major transposes to cuBLAS:
//   y  (B, out) = x (B, in) W^T + b   ->  y'  = W'^T x'   (W' = W^T, x' = x^T)
//   dx (B, in)  = dy W                ->  dx' = W' dy'
//   dW (out, in) = dy^T x             ->  dW' = x' dy'^T
//   db (out)    = dy^T 1              ->  gemv of dy' with a vector of ones
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_kernels.h"
#include "backend/cuda/cuda_ops.h"
#include "core/error.h"

namespace convoy::cuda {

namespace {

class CudaLinear final : public LinearOp {
 public:
  explicit CudaLinear(int device) : device_(device) {}

  void forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y) override {
    require_on(x, device_, "linear input");
    require_on(weight, device_, "linear weight");
    describe(x.shape(), weight.shape());
    DeviceContext& c = context(device_);
    y.ensure_shape(Shape{batch_, out_}, x.device());
    const float one = 1.0f, zero = 0.0f;
    CONVOY_CUDA(cublasSgemm, "linear forward", c.cublas, CUBLAS_OP_T, CUBLAS_OP_N, out(), batch(), in(), &one,
                weight.device_data(), in(), x.device_data(), in(), &zero, y.device_data(), out());
    add_bias(y.device_data(), bias.device_data(), batch_, out_, c.stream);
  }

  void backward_data(const Tensor& dy, const Tensor& weight, Tensor& dx) override {
    CONVOY_CHECK(batch_ > 0, "linear backward before forward");
    require_on(dy, device_, "linear output gradient");
    CONVOY_CHECK(dy.shape() == Shape({batch_, out_}), "linear backward got dy ", dy.shape().to_string());
    DeviceContext& c = context(device_);
    dx.ensure_shape(x_shape_, dy.device());
    const float one = 1.0f, zero = 0.0f;
    CONVOY_CUDA(cublasSgemm, "linear backward data", c.cublas, CUBLAS_OP_N, CUBLAS_OP_N, in(), batch(), out(), &one,
                weight.device_data(), in(), dy.device_data(), out(), &zero, dx.device_data(), in());
  }

  void backward_weights(const Tensor& x, const Tensor& dy, Tensor& dweight, Tensor& dbias,
                        bool accumulate) override {
    require_on(x, device_, "linear input");
    require_on(dy, device_, "linear output gradient");
    describe(x.shape(), dweight.shape());
    DeviceContext& c = context(device_);
    const float one = 1.0f, beta = accumulate ? 1.0f : 0.0f;
    CONVOY_CUDA(cublasSgemm, "linear backward weights", c.cublas, CUBLAS_OP_N, CUBLAS_OP_T, in(), out(), batch(),
                &one, x.device_data(), in(), dy.device_data(), out(), &beta, dweight.device_data(), in());
    if (!ones_.defined() || ones_.numel() < batch_) {
      ones_ = Tensor::empty(Shape{batch_}, Device::cuda(device_));
      fill(ones_.device_data(), 1.0f, batch_, c.stream);
    }
    CONVOY_CUDA(cublasSgemv, "linear backward bias", c.cublas, CUBLAS_OP_N, out(), batch(), &one, dy.device_data(),
                out(), ones_.device_data(), 1, &beta, dbias.device_data(), 1);
  }

 private:
  void describe(const Shape& x_shape, const Shape& w_shape) {
    CONVOY_CHECK(x_shape.rank() >= 2 && w_shape.rank() == 2 && x_shape.per_sample() == w_shape[1],
                 "linear: input ", x_shape.to_string(), " does not match weight ", w_shape.to_string());
    x_shape_ = x_shape;
    batch_ = x_shape[0];
    in_ = w_shape[1];
    out_ = w_shape[0];
  }
  int batch() const { return static_cast<int>(batch_); }
  int in() const { return static_cast<int>(in_); }
  int out() const { return static_cast<int>(out_); }

  int device_;
  Shape x_shape_;
  int64_t batch_ = 0, in_ = 0, out_ = 0;
  Tensor ones_;
};

}  // namespace

std::unique_ptr<LinearOp> make_cuda_linear(int device) { return std::make_unique<CudaLinear>(device); }

}  // namespace convoy::cuda
