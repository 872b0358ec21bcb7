// Sequential: modules applied in order; backward runs them in reverse.
#pragma once

#include <memory>
#include <vector>

#include "nn/module.h"

namespace convoy {

class Sequential : public Module {
 public:
  // Adds a module named `name` (or kind + position when empty); returns it.
  template <typename M>
  M& add(std::unique_ptr<M> module, std::string name = "") {
    M& ref = *module;
    add_module(std::move(module), std::move(name));
    return ref;
  }
  void add_module(std::unique_ptr<Module> module, std::string name);

  std::string kind() const override { return "sequential"; }
  void set_name(std::string name) override { name_ = std::move(name); }
  Shape output_shape(const Shape& input) const override;
  const Tensor& forward(const Tensor& x, const StepContext& ctx) override;
  // The first module never computes an input gradient (nothing consumes it).
  const Tensor& backward(const Tensor& dy, bool need_input_grad,
                         const BackwardContext& ctx) override;
  std::vector<Parameter*> parameters() override;

  // Folds each activation that directly follows a convolution into it (a
  // oneDNN post-op); the activation module stays in the table and passes
  // through. Call before the first forward.
  void fuse_activations();

  size_t size() const { return modules_.size(); }
  Module& at(size_t i) { return *modules_.at(i); }
  const Module& at(size_t i) const { return *modules_.at(i); }
  int64_t parameter_count();

 private:
  std::vector<std::unique_ptr<Module>> modules_;
  Tensor undefined_;
};

}  // namespace convoy
