// Fully connected layer on cuBLAS, in the math of cuda_context.h's Math when
// the op is made: true fp32 (pedantic), TF32 tensor cores, or bf16 copies of
// the input, weight and output gradient multiplied with fp32 accumulation
// into fp32 results (cublasGemmEx). The row-major tensors are column-major
// transposes to cuBLAS:
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
  explicit CudaLinear(int device) : device_(device), math_(math()) {}

  void forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y) override {
    require_on(x, device_, "linear input");
    require_on(weight, device_, "linear weight");
    describe(x.shape(), weight.shape());
    DeviceContext& c = context(device_);
    y.ensure_shape(Shape{batch_, out_}, x.device());
    if (bf16()) {  // kept for backward: the weight does not change before it, and x is the same
      w16_.round(weight, device_, c.stream);
      x16_.round(x, device_, c.stream);
      dy16_ready_ = false;
    }
    gemm(c, "linear forward", CUBLAS_OP_T, CUBLAS_OP_N, out(), batch(), in(), weight.device_data(), w16_.data(), in(),
         x.device_data(), x16_.data(), in(), 0.0f, y.device_data(), out());
    add_bias(y.device_data(), bias.device_data(), batch_, out_, c.stream);
  }

  void backward_data(const Tensor& dy, const Tensor& weight, Tensor& dx) override {
    CONVOY_CHECK(batch_ > 0, "linear backward before forward");
    require_on(dy, device_, "linear output gradient");
    CONVOY_CHECK(dy.shape() == Shape({batch_, out_}), "linear backward got dy ", dy.shape().to_string());
    DeviceContext& c = context(device_);
    dx.ensure_shape(x_shape_, dy.device());
    const uint16_t* dy16 = bf16() ? rounded_dy(dy, c) : nullptr;
    gemm(c, "linear backward data", CUBLAS_OP_N, CUBLAS_OP_N, in(), batch(), out(), weight.device_data(), w16_.data(),
         in(), dy.device_data(), dy16, out(), 0.0f, dx.device_data(), in());
  }

  void backward_weights(const Tensor& x, const Tensor& dy, Tensor& dweight, Tensor& dbias,
                        bool accumulate) override {
    require_on(x, device_, "linear input");
    require_on(dy, device_, "linear output gradient");
    describe(x.shape(), dweight.shape());
    DeviceContext& c = context(device_);
    const float one = 1.0f, beta = accumulate ? 1.0f : 0.0f;
    const uint16_t* dy16 = bf16() ? rounded_dy(dy, c) : nullptr;
    gemm(c, "linear backward weights", CUBLAS_OP_N, CUBLAS_OP_T, in(), out(), batch(), x.device_data(), x16_.data(),
         in(), dy.device_data(), dy16, out(), beta, dweight.device_data(), in());
    if (!ones_.defined() || ones_.numel() < batch_) {
      ones_ = Tensor::empty(Shape{batch_}, Device::cuda(device_));
      fill(ones_.device_data(), 1.0f, batch_, c.stream);
    }
    CONVOY_CUDA(cublasSgemv, "linear backward bias", c.cublas, CUBLAS_OP_N, out(), batch(), &one, dy.device_data(),
                out(), ones_.device_data(), 1, &beta, dbias.device_data(), 1);
  }

 private:
  bool bf16() const { return math_ == Math::kBf16; }

  // C = op(A) op(B) + beta C with fp32 C: cublasSgemm on a and b, or in
  // bf16, cublasGemmEx on their bf16 copies a16 and b16.
  void gemm(DeviceContext& c, const char* what, cublasOperation_t op_a, cublasOperation_t op_b, int m, int n, int k,
            const float* a, const uint16_t* a16, int lda, const float* b, const uint16_t* b16, int ldb, float beta,
            float* out, int ldc) {
    const float one = 1.0f;
    CONVOY_CUDA(cublasSetMathMode, what, c.cublas, cublas_math(math_));
    if (!bf16()) {
      CONVOY_CUDA(cublasSgemm, what, c.cublas, op_a, op_b, m, n, k, &one, a, lda, b, ldb, &beta, out, ldc);
      return;
    }
    CONVOY_CUDA(cublasGemmEx, what, c.cublas, op_a, op_b, m, n, k, &one, a16, CUDA_R_16BF, lda, b16, CUDA_R_16BF,
                ldb, &beta, out, CUDA_R_32F, ldc, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  }
  // dy in bf16, rounded once per backward (both backward calls use it).
  const uint16_t* rounded_dy(const Tensor& dy, DeviceContext& c) {
    if (!dy16_ready_) dy16_.round(dy, device_, c.stream);
    dy16_ready_ = true;
    return dy16_.data();
  }

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
  Math math_;
  Bf16Buffer x16_, w16_, dy16_;  // bf16 copies (Math::kBf16)
  bool dy16_ready_ = false;
  Shape x_shape_;
  int64_t batch_ = 0, in_ = 0, out_ = 0;
  Tensor ones_;
};

}  // namespace

std::unique_ptr<LinearOp> make_cuda_linear(int device) { return std::make_unique<CudaLinear>(device); }

}  // namespace convoy::cuda
