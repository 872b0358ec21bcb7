#include "nn/summary.h"

#include <iomanip>

namespace convoy {

void print_summary(std::ostream& out, Sequential& model, const Shape& input_shape) {
  out << std::left << std::setw(10) << "layer" << std::setw(11) << "kind" << std::setw(22)
      << "settings" << std::setw(22) << "output" << std::right << std::setw(12) << "params"
      << "\n";
  out << std::left << std::setw(10) << "input" << std::setw(11) << "" << std::setw(22) << ""
      << std::setw(22) << input_shape.to_string() << "\n";
  Shape shape = input_shape;
  for (size_t i = 0; i < model.size(); ++i) {
    Module& m = model.at(i);
    shape = m.output_shape(shape);
    int64_t count = 0;
    for (Parameter* p : m.parameters()) count += p->value.numel();
    out << std::left << std::setw(10) << m.name() << std::setw(11) << m.kind() << std::setw(22)
        << m.describe() << std::setw(22) << shape.to_string() << std::right << std::setw(12)
        << count << "\n";
  }
  out << "params: " << model.parameter_count() << "\n";
}

}  // namespace convoy
