#include "core/shape.h"

#include "core/error.h"

namespace convoy {

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int64_t d : dims_) n *= d;
  return n;
}

int64_t Shape::per_sample() const {
  CONVOY_CHECK(rank() >= 1, "a batched shape needs a batch axis");
  int64_t n = 1;  // the product of the other axes: an empty batch (0) has samples of a size too
  for (size_t i = 1; i < dims_.size(); ++i) n *= dims_[i];
  return n;
}

Shape Shape::with_batch(int64_t batch) const {
  CONVOY_CHECK(rank() >= 1, "a batched shape needs a batch axis");
  Shape out = *this;
  out.dims_[0] = batch;
  return out;
}

std::string Shape::to_string() const {
  std::string s = "(";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(dims_[i]);
  }
  return s + ")";
}

}  // namespace convoy
