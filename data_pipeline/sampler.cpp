#include "data_pipeline/sampler.h"

#include <cstddef>
#include <numeric>
#include <utility>

#include "core/philox.h"

namespace convoy {

std::vector<int64_t> sequential_order(int64_t count) {
  std::vector<int64_t> order(static_cast<size_t>(count));
  std::iota(order.begin(), order.end(), int64_t{0});
  return order;
}

std::vector<int64_t> shuffled_order(int64_t count, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order = sequential_order(count);
  RandomStream stream(seed, RandomPurpose::kShuffle, static_cast<uint64_t>(epoch));
  for (int64_t i = count - 1; i > 0; --i) {
    // 64-bit draw, reduced with negligible bias for any realistic count.
    const uint64_t draw = (uint64_t{stream.next_word()} << 32) | stream.next_word();
    std::swap(order[i], order[draw % static_cast<uint64_t>(i + 1)]);
  }
  return order;
}

}  // namespace convoy
