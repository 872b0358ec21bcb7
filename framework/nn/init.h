// Parameter initialisation schemes, drawn from keyed Philox streams so a
// seed gives the same parameters on every machine.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/named_values.h"
#include "nn/parameter.h"

namespace convoy {

enum class InitScheme {
  kPaper,    // AlexNet paper: weights N(0, 0.01), biases Parameter::paper_bias
  kXavier,   // Glorot uniform: U(+-sqrt(6 / (fan_in + fan_out))), biases 0
  kKaiming,  // He normal: N(0, sqrt(2 / fan_in)), biases 0
};

std::span<const NamedValue<InitScheme>> named_values(InitScheme);  // paper | xavier | kaiming

// Parameter i draws from stream (seed, kInit, i): adding a layer at the end
// leaves the others' values unchanged.
void initialize_parameters(const std::vector<Parameter*>& parameters, InitScheme scheme,
                           uint64_t seed);

}  // namespace convoy
