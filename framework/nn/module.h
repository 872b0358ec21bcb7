// Module: a layer or a container with forward and backward. Layers are written
// once against the Backend interface; the input tensor's device picks the backend.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "nn/parameter.h"
#include "tensor/tensor.h"

namespace convoy {

// What one forward pass needs besides its input.
struct StepContext {
  bool training = false;
  uint64_t seed = 0;  // run seed (dropout masks, docs/data.md (randomness))
  uint64_t step = 0;  // global optimizer step
  std::span<const int64_t> sample_ids;  // global sample index of each batch row
};

// Called once per parameter, in reverse layer order, as soon as backward has
// written its gradient: the seam where a gradient reducer starts all-reducing
// buckets while the rest of backward runs (PyTorch DDP, Horovod).
using GradientReadyHook = std::function<void(Parameter&)>;

// What one backward pass needs besides dy.
struct BackwardContext {
  // Add the parameter gradients to what the gradient tensors hold instead of
  // overwriting them (gradient accumulation over micro-batches).
  bool accumulate = false;
  GradientReadyHook on_ready;  // may be empty
};

class Module {
 public:
  virtual ~Module() = default;
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  virtual std::string kind() const = 0;      // "conv2d", "linear", ...
  virtual std::string describe() const { return ""; }  // "5x5 s1 p2"
  virtual Shape output_shape(const Shape& input) const = 0;

  // Returns the output, which stays valid until the next forward.
  virtual const Tensor& forward(const Tensor& x, const StepContext& ctx) = 0;
  // dy: gradient of the loss w.r.t. the last forward's output. Writes (or with
  // ctx.accumulate adds to) the parameter gradients, reporting each to
  // ctx.on_ready, and returns the gradient w.r.t. the input, or an undefined
  // tensor when need_input_grad is false.
  virtual const Tensor& backward(const Tensor& dy, bool need_input_grad,
                                 const BackwardContext& ctx) = 0;

  virtual std::vector<Parameter*> parameters() { return {}; }

  const std::string& name() const { return name_; }

  // Moves every parameter and its gradient to `device` (a copy; nothing is
  // moved when already there). Build the optimizer after the move: its
  // momentum lives beside the parameters. Layers make their backend ops anew
  // when an input arrives on another device.
  void to(Device device);
  // Where the parameters live (the CPU for a module without parameters).
  Device device();
  // Names the module and its parameters ("conv1" -> "conv1.weight").
  virtual void set_name(std::string name);

 protected:
  std::string name_;
};

}  // namespace convoy
