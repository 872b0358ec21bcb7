#include "core/finite.h"

#include <cmath>

namespace convoy {

int64_t first_non_finite(const float* values, int64_t count) {
  // x * 0 is 0 for a finite x and NaN for NaN or an infinity, and a sum of
  // zeros and NaNs does not depend on its order: a reduction the compiler
  // vectorises and OpenMP splits (AlexNet's 62M gradients every step).
  float probe = 0.0f;
#pragma omp parallel for simd reduction(+ : probe) if (count > (1 << 20))
  for (int64_t i = 0; i < count; ++i) probe += values[i] * 0.0f;
  if (probe == 0.0f) return -1;
  for (int64_t i = 0; i < count; ++i)
    if (!std::isfinite(values[i])) return i;
  return -1;
}

}  // namespace convoy
