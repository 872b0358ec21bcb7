// Sample orders. One permutation per epoch from (seed, epoch) (SPEC §5b, §7),
// so the order does not depend on how many ranks or workers consume it.
#pragma once

#include <cstdint>
#include <vector>

namespace convoy {

std::vector<int64_t> sequential_order(int64_t count);
// Fisher-Yates driven by the Philox stream (seed, shuffle, epoch).
std::vector<int64_t> shuffled_order(int64_t count, uint64_t seed, int64_t epoch);

}  // namespace convoy
