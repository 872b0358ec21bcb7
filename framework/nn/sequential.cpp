#include "nn/sequential.h"

#include "core/error.h"
#include "nn/layers/activation.h"
#include "nn/layers/conv2d.h"

namespace convoy {

void Sequential::add_module(std::unique_ptr<Module> module, std::string name) {
  if (name.empty()) name = module->kind() + std::to_string(modules_.size());
  module->set_name(std::move(name));
  modules_.push_back(std::move(module));
}

Shape Sequential::output_shape(const Shape& input) const {
  Shape shape = input;
  for (const auto& m : modules_) shape = m->output_shape(shape);
  return shape;
}

const Tensor& Sequential::forward(const Tensor& x, const StepContext& ctx) {
  CONVOY_CHECK(!modules_.empty(), "forward through an empty Sequential");
  const Tensor* current = &x;
  for (auto& m : modules_) current = &m->forward(*current, ctx);
  return *current;
}

const Tensor& Sequential::backward(const Tensor& dy, bool need_input_grad,
                                   const BackwardContext& ctx) {
  const Tensor* grad = &dy;
  for (size_t i = modules_.size(); i-- > 0;) {
    const bool need = i > 0 || need_input_grad;
    grad = &modules_[i]->backward(*grad, need, ctx);
  }
  return need_input_grad ? *grad : undefined_;
}

void Sequential::fuse_activations() {
  for (size_t i = 0; i + 1 < modules_.size(); ++i) {
    auto* conv = dynamic_cast<Conv2d*>(modules_[i].get());
    auto* activation = dynamic_cast<Activation*>(modules_[i + 1].get());
    if (!conv || !activation) continue;
    conv->fuse_activation(activation->activation());
    activation->mark_fused();
  }
}

std::vector<Parameter*> Sequential::parameters() {
  std::vector<Parameter*> all;
  for (auto& m : modules_) {
    auto p = m->parameters();
    all.insert(all.end(), p.begin(), p.end());
  }
  return all;
}

int64_t Sequential::parameter_count() {
  int64_t n = 0;
  for (Parameter* p : parameters()) n += p->value.numel();
  return n;
}

}  // namespace convoy
