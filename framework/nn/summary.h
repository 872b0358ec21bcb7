// The layer table printed by --summary: name, kind, settings, output shape, parameters.
#pragma once

#include <ostream>

#include "nn/sequential.h"

namespace convoy {

// Ends with the line "params: N".
void print_summary(std::ostream& out, Sequential& model, const Shape& input_shape);

}  // namespace convoy
