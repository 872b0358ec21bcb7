#include "optim/sgd.h"

#include "backend/backend.h"

namespace convoy {

Sgd::Sgd(std::vector<Parameter*> parameters, SgdOptions options)
    : parameters_(std::move(parameters)), options_(options) {
  for (Parameter* p : parameters_)
    velocities_.push_back(Tensor::zeros(p->value.shape(), p->value.device()));
}

void Sgd::step(double lr, double grad_scale) {
  for (size_t i = 0; i < parameters_.size(); ++i) {
    Parameter& p = *parameters_[i];
    SgdHyper hyper;
    hyper.lr = static_cast<float>(lr);
    hyper.momentum = static_cast<float>(options_.momentum);
    hyper.grad_scale = static_cast<float>(grad_scale);
    hyper.weight_decay =
        (!p.is_bias || options_.decay_biases) ? static_cast<float>(options_.weight_decay) : 0.0f;
    backend_for(p.value.device()).sgd_step(p.value, p.grad, velocities_[i], hyper);
  }
}

void Sgd::zero_velocity() {
  for (Tensor& v : velocities_) v.fill(0.0f);
}

}  // namespace convoy
