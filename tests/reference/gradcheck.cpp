#include "reference/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "backend/backend.h"
#include "core/philox.h"

namespace convoy::testing {

double gradcheck_max_error(const std::function<double(const Vec&)>& f, const Vec& x,
                           const Vec& analytic, double eps) {
  double worst = 0.0;
  Vec probe = x;
  for (size_t i = 0; i < x.size(); ++i) {
    probe[i] = x[i] + eps;
    const double up = f(probe);
    probe[i] = x[i] - eps;
    const double down = f(probe);
    probe[i] = x[i];
    const double numeric = (up - down) / (2.0 * eps);
    worst = std::max(worst, std::abs(numeric - analytic[i]) / std::max(1.0, std::abs(numeric)));
  }
  return worst;
}

Vec random_vec(int64_t n, uint64_t seed, double lo, double hi) {
  RandomStream stream(seed, RandomPurpose::kSynthetic, 0);
  Vec v(static_cast<size_t>(n));
  for (double& x : v) x = lo + (hi - lo) * stream.next_uniform_double();
  return v;
}

Vec spread_vec(int64_t n, uint64_t seed, double gap) {
  Vec v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = (static_cast<double>(i) - n / 2.0 + 0.5) * gap * 2.0;
  RandomStream stream(seed, RandomPurpose::kSynthetic, 1);
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(v[i], v[stream.next_word() % static_cast<uint32_t>(i + 1)]);
  return v;
}

double dot(const Vec& a, const Vec& b) { return std::inner_product(a.begin(), a.end(), b.begin(), 0.0); }

Tensor to_tensor(const Vec& v, const Shape& shape) {
  Tensor t = Tensor::empty(shape);
  for (size_t i = 0; i < v.size(); ++i) t.data()[i] = static_cast<float>(v[i]);
  return t;
}

Vec to_vec(const Tensor& t) {
  Tensor scratch;
  const Tensor host = as_plain(t, scratch).to(Device::kCPU);
  return Vec(host.data(), host.data() + host.numel());
}

double relative_error(const Vec& a, const Vec& b) {
  if (a.size() != b.size()) return std::numeric_limits<double>::infinity();  // never a pass
  double diff = 0, norm = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff += (a[i] - b[i]) * (a[i] - b[i]);
    norm += b[i] * b[i];
  }
  return std::sqrt(diff) / std::max(std::sqrt(norm), 1e-30);
}

double relative_error(const Tensor& a, const Tensor& b) { return relative_error(to_vec(a), to_vec(b)); }

Tensor random_tensor(const Shape& shape, uint64_t seed) { return to_tensor(random_vec(shape.numel(), seed), shape); }

}  // namespace convoy::testing
