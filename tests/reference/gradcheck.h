// Test helpers: central finite differences, seeded random inputs, conversion
// between reference vectors and tensors, and the relative error ||a-b|| / ||b||.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "reference/reference_layers.h"
#include "tensor/tensor.h"

namespace convoy::testing {

using reference::Vec;

// Largest |numeric - analytic| / max(1, |numeric|) over the entries of x, with
// numeric = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps).
double gradcheck_max_error(const std::function<double(const Vec&)>& f, const Vec& x,
                           const Vec& analytic, double eps = 1e-6);

// Uniform values in [lo, hi) from a fixed seed.
Vec random_vec(int64_t n, uint64_t seed, double lo = -1.0, double hi = 1.0);
// Values whose pairwise gaps and distance from 0 exceed `gap` (no kinks or ties
// within finite-difference reach, for ReLU and max pooling): a shuffled ladder.
Vec spread_vec(int64_t n, uint64_t seed, double gap = 1e-3);

double dot(const Vec& a, const Vec& b);
Tensor to_tensor(const Vec& v, const Shape& shape);
Vec to_vec(const Tensor& t);  // converts from a backend layout, and from a device, first
double relative_error(const Vec& a, const Vec& b);
// The same for tensors on any device: ||a - b|| / ||b||.
double relative_error(const Tensor& a, const Tensor& b);
// random_vec's values as a tensor of `shape` on the CPU.
Tensor random_tensor(const Shape& shape, uint64_t seed);

}  // namespace convoy::testing
