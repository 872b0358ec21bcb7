// Shared by the tests that run under mpirun (see mpi_test_main.cpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "distributed/communicator.h"

namespace convoy::testing {

// The job's communicator (MPI under mpirun).
Communicator& world();

// max|a - b| / max|a|, the largest relative difference docs/distributed.md bounds.
inline double relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::abs(static_cast<double>(a[i])));
  }
  if (a.size() != b.size()) return INFINITY;
  return scale > 0 ? diff / scale : diff;
}

}  // namespace convoy::testing
