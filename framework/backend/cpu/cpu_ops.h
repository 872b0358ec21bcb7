// Factories of the CPU (oneDNN) ops; cpu_backend.cpp assembles them into the Backend.
#pragma once

#include <memory>

#include "backend/backend.h"

namespace convoy::cpu {

std::unique_ptr<Convolution2dOp> make_cpu_convolution2d(const Convolution2dConfig& config);
std::unique_ptr<Pooling2dOp> make_cpu_pooling2d(const Pooling2dConfig& config);
std::unique_ptr<LrnOp> make_cpu_lrn(const LrnConfig& config);
std::unique_ptr<ActivationOp> make_cpu_activation(ActivationKind kind);
std::unique_ptr<LinearOp> make_cpu_linear();

}  // namespace convoy::cpu
