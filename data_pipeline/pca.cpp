#include "data_pipeline/pca.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace convoy {

Eigen3 eigen_symmetric3(const Matrix3& m) {
  Matrix3 a = m;
  Matrix3 v{};
  for (int i = 0; i < 3; ++i) v[i][i] = 1.0;
  // Cyclic Jacobi: rotate away the off-diagonal entries until they vanish.
  for (int sweep = 0; sweep < 64; ++sweep) {
    const double off = std::abs(a[0][1]) + std::abs(a[0][2]) + std::abs(a[1][2]);
    const double scale = std::abs(a[0][0]) + std::abs(a[1][1]) + std::abs(a[2][2]);
    if (off <= 1e-300 || off <= 1e-17 * scale) break;
    for (int p = 0; p < 2; ++p)
      for (int q = p + 1; q < 3; ++q) {
        if (a[p][q] == 0.0) continue;
        const double theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0), s = t * c;
        for (int k = 0; k < 3; ++k) {  // a = J^T a J
          const double akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (int k = 0; k < 3; ++k) {
          const double apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (int k = 0; k < 3; ++k) {  // v = v J
          const double vkp = v[k][p], vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
  }
  std::array<int, 3> order{0, 1, 2};
  std::sort(order.begin(), order.end(), [&](int i, int j) { return a[i][i] > a[j][j]; });
  Eigen3 result;
  for (int i = 0; i < 3; ++i) {
    const int src = order[i];
    result.values[i] = a[src][src];
    // The largest-magnitude component is made positive; on a tie (within
    // rounding, e.g. (1, -1, 0) / sqrt 2) the first of the tied ones, so the
    // sign never depends on rounding.
    double biggest = 0;
    for (int r = 0; r < 3; ++r) biggest = std::max(biggest, std::abs(v[r][src]));
    int largest = 0;
    while (std::abs(v[largest][src]) < biggest - 1e-9) ++largest;
    const double sign = v[largest][src] < 0 ? -1.0 : 1.0;
    for (int r = 0; r < 3; ++r) result.vectors[r][i] = sign * v[r][src];
  }
  return result;
}

void RgbMoments::add(double r, double g, double b) {
  const double x[3] = {r, g, b};
  ++count_;
  for (int i = 0; i < 3; ++i) {
    sum_[i] += x[i];
    for (int j = 0; j < 3; ++j) sum_products_[i][j] += x[i] * x[j];
  }
}

void RgbMoments::merge(const RgbMoments& other) {
  count_ += other.count_;
  for (int i = 0; i < 3; ++i) {
    sum_[i] += other.sum_[i];
    for (int j = 0; j < 3; ++j) sum_products_[i][j] += other.sum_products_[i][j];
  }
}

std::vector<double> RgbMoments::state() const {
  std::vector<double> state{static_cast<double>(count_)};
  state.insert(state.end(), sum_.begin(), sum_.end());
  for (const auto& row : sum_products_) state.insert(state.end(), row.begin(), row.end());
  return state;
}

RgbMoments RgbMoments::from_state(const std::vector<double>& state) {
  CONVOY_CHECK(state.size() == 13, "RgbMoments state has 13 numbers, got ", state.size());
  RgbMoments m;
  m.count_ = static_cast<int64_t>(state[0]);
  for (int i = 0; i < 3; ++i) {
    m.sum_[i] = state[1 + i];
    for (int j = 0; j < 3; ++j) m.sum_products_[i][j] = state[4 + 3 * i + j];
  }
  return m;
}

std::array<double, 3> RgbMoments::mean() const {
  std::array<double, 3> m{};
  if (count_ == 0) return m;
  for (int i = 0; i < 3; ++i) m[i] = sum_[i] / static_cast<double>(count_);
  return m;
}

Matrix3 RgbMoments::covariance() const {
  Matrix3 c{};
  if (count_ == 0) return c;
  const auto m = mean();
  const double n = static_cast<double>(count_);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) c[i][j] = sum_products_[i][j] / n - m[i] * m[j];
  return c;
}

std::array<double, 3> RgbMoments::std() const {
  const Matrix3 c = covariance();
  return {std::sqrt(std::max(0.0, c[0][0])), std::sqrt(std::max(0.0, c[1][1])),
          std::sqrt(std::max(0.0, c[2][2]))};
}

}  // namespace convoy
