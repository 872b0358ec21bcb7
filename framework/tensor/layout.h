// Layout: how a backend arranges a tensor's elements in memory when that is
// not the plain row-major order (oneDNN's blocked nChw8c, say). Activations
// flow between layers in the layout their producer chose, so chained
// primitives need no reorders; parameters, gradients, inputs and anything a
// user reads are plain.
#pragma once

#include <cstddef>
#include <string>

namespace convoy {

class Layout {
 public:
  virtual ~Layout() = default;
  virtual size_t bytes() const = 0;  // may exceed numel * 4 (padded blocks)
  virtual std::string describe() const = 0;
};

}  // namespace convoy
