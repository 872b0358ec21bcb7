// The Backend interface: one function or op per primitive. Layers are written
// once against it; a tensor's device picks the implementation (cpu/ = oneDNN,
// cuda/ = cuDNN + cuBLAS, one backend per device). Parameters and their gradients are always
// plain (OIHW, row-major (out, in)). Activations and their gradients may come
// back in a layout of the backend's choosing (Tensor::layout()); every op
// accepts its inputs in any layout and reorders only where they differ from
// what its primitive wants. Linear, dropout and the loss take plain inputs.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "backend/op_configs.h"
#include "tensor/tensor.h"

namespace convoy {

// Outputs are resized with Tensor::ensure_shape, so their memory is reused across steps.
class Convolution2dOp {
 public:
  virtual ~Convolution2dOp() = default;
  virtual void forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y) = 0;
  virtual void backward_data(const Tensor& dy, const Tensor& weight, Tensor& dx) = 0;
  // Writes the weight and bias gradients, or adds them to what dweight and
  // dbias hold when `accumulate` (gradient accumulation over micro-batches).
  virtual void backward_weights(const Tensor& x, const Tensor& dy, Tensor& dweight,
                                Tensor& dbias, bool accumulate) = 0;
};

class Pooling2dOp {
 public:
  virtual ~Pooling2dOp() = default;
  virtual void forward(const Tensor& x, Tensor& y, bool training) = 0;
  // Uses what the last training forward kept (max positions).
  virtual void backward(const Tensor& dy, Tensor& dx) = 0;
};

class LrnOp {
 public:
  virtual ~LrnOp() = default;
  virtual void forward(const Tensor& x, Tensor& y, bool training) = 0;
  virtual void backward(const Tensor& x, const Tensor& dy, Tensor& dx) = 0;
};

class ActivationOp {
 public:
  virtual ~ActivationOp() = default;
  virtual void forward(const Tensor& x, Tensor& y) = 0;
  // y is the forward output (sigmoid and ReLU can both differentiate from it).
  virtual void backward(const Tensor& y, const Tensor& dy, Tensor& dx) = 0;
};

// y = x * weight^T + bias, with x (B, in) and weight (out, in) row-major.
class LinearOp {
 public:
  virtual ~LinearOp() = default;
  virtual void forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& y) = 0;
  virtual void backward_data(const Tensor& dy, const Tensor& weight, Tensor& dx) = 0;
  // As Convolution2dOp::backward_weights.
  virtual void backward_weights(const Tensor& x, const Tensor& dy, Tensor& dweight,
                                Tensor& dbias, bool accumulate) = 0;
};

struct SgdHyper {
  float lr = 0.01f, momentum = 0.0f, weight_decay = 0.0f;
  // The gradient is used as grad_scale * grad: a data-parallel step passes
  // 1 / (ranks x accumulated micro-batches) to average summed gradients.
  float grad_scale = 1.0f;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;

  virtual std::unique_ptr<Convolution2dOp> make_convolution2d(const Convolution2dConfig&) = 0;
  virtual std::unique_ptr<Pooling2dOp> make_pooling2d(const Pooling2dConfig&) = 0;
  virtual std::unique_ptr<LrnOp> make_lrn(const LrnConfig&) = 0;
  virtual std::unique_ptr<ActivationOp> make_activation(ActivationKind) = 0;
  virtual std::unique_ptr<LinearOp> make_linear() = 0;

  // Writes src's elements into dst in plain layout.
  virtual void to_plain(const Tensor& src, Tensor& dst) = 0;

  // Inverted dropout: keeps x[b, j] where uniform(seed, step, sample_ids[b], layer, j) < keep,
  // scaling it by 1/keep; mask receives the multiplier (0 or 1/keep).
  virtual void dropout_forward(const Tensor& x, float keep, uint64_t seed, uint64_t step,
                               uint32_t layer, std::span<const int64_t> sample_ids, Tensor& mask,
                               Tensor& y) = 0;
  virtual void multiply(const Tensor& a, const Tensor& b, Tensor& out) = 0;

  // Mean softmax cross-entropy over the batch; writes softmax probabilities and
  // d(loss)/d(logits). Labels must lie in [0, classes).
  virtual double softmax_cross_entropy(const Tensor& logits, std::span<const int32_t> labels,
                                       Tensor& probabilities, Tensor& grad_logits) = 0;

  // PyTorch's SGD: v = momentum * v + (grad_scale * g + weight_decay * w); w -= lr * v.
  virtual void sgd_step(Tensor& weight, const Tensor& grad, Tensor& velocity,
                        const SgdHyper& hyper) = 0;

  // How many rows of (B, classes) scores rank their label among the k
  // highest (ties broken by lower class index first). Read on the host.
  virtual int64_t count_top_k_correct(const Tensor& scores, std::span<const int32_t> labels, int k) = 0;
  // The index of the first NaN or infinity among a plain tensor's elements,
  // or -1 when all are finite. Read on the host.
  virtual int64_t first_non_finite(const Tensor& t) = 0;

  // Gradients that travel in bf16 (--grad-compression bf16): n floats at src
  // rounded (core/bfloat16.h) into n bf16 words at dst, and widened back.
  // Raw memory of this backend's device, in order with its other work.
  virtual void round_to_bf16(const float* src, uint16_t* dst, int64_t n) = 0;
  virtual void widen_from_bf16(const uint16_t* src, float* dst, int64_t n) = 0;
};

// The backend that serves tensors on `device`.
Backend& backend_for(Device device);

// Checks that scores are (batch, classes) and labels one class index per row,
// each in [0, classes), before a backend reads scores[b][labels[b]].
void check_class_labels(const Tensor& scores, std::span<const int32_t> labels, const char* what);

// x itself when plain, else x converted into scratch (reused across calls).
const Tensor& as_plain(const Tensor& x, Tensor& scratch);

}  // namespace convoy
