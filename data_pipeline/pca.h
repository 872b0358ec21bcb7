// The eigen-decomposition behind PCA lighting (docs/data.md, augmentation): of a 3x3 covariance
// of RGB values. Shared by the converter (dataset mode: all training pixels)
// and the lighting transform (image mode: one standardised image).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace convoy {

using Matrix3 = std::array<std::array<double, 3>, 3>;

struct Eigen3 {
  std::array<double, 3> values{};  // descending
  Matrix3 vectors{};               // vectors[r][i]: row r of column i, the eigenvector of values[i];
                                   // each column's largest-magnitude component is positive
                                   // (the first of them on a tie within 1e-9)
};

// Symmetric 3x3 eigen-decomposition (cyclic Jacobi, to double precision).
Eigen3 eigen_symmetric3(const Matrix3& m);

// Accumulates pixels (values in [0, 1]) and yields their mean, population std
// and covariance per channel pair; for a data set, feed every pixel of every image.
class RgbMoments {
 public:
  void add(double r, double g, double b);
  void merge(const RgbMoments& other);  // combine per-thread partial sums
  int64_t count() const { return count_; }
  std::array<double, 3> mean() const;
  std::array<double, 3> std() const;
  Matrix3 covariance() const;  // population (divides by the count)
  // The exact sums (count, 3 sums, 9 products), for a resumable conversion to keep.
  std::vector<double> state() const;
  static RgbMoments from_state(const std::vector<double>& state);  // a wrong length is an Error

 private:
  int64_t count_ = 0;
  std::array<double, 3> sum_{};
  Matrix3 sum_products_{};
};

}  // namespace convoy
