// Shape: the extents of a tensor, outermost first (NCHW, OIHW, (B, L)).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace convoy {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {}

  int rank() const { return static_cast<int>(dims_.size()); }
  int64_t operator[](int axis) const { return dims_.at(static_cast<size_t>(axis)); }
  int64_t& operator[](int axis) { return dims_.at(static_cast<size_t>(axis)); }
  int64_t numel() const;
  const std::vector<int64_t>& dims() const { return dims_; }

  // Everything but the first (batch) axis, multiplied: the row length of a flattened batch.
  int64_t per_sample() const;
  Shape with_batch(int64_t batch) const;

  std::string to_string() const;  // "(32, 96, 55, 55)"
  bool operator==(const Shape& other) const = default;

 private:
  std::vector<int64_t> dims_;
};

}  // namespace convoy
