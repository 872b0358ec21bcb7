// Where a float array first holds a NaN or an infinity: the one scan behind
// the divergence check (every step), checkpoint writes and checkpoint loads.
#pragma once

#include <cstdint>

namespace convoy {

// The index of the first non-finite value of values[0, count), or -1 when
// all are finite. All-finite arrays (the common case) cost one vectorised,
// multi-threaded pass.
int64_t first_non_finite(const float* values, int64_t count);

}  // namespace convoy
