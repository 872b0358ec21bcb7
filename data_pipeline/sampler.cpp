#include "data_pipeline/sampler.h"

#include <cstddef>
#include <numeric>
#include <utility>

#include "core/error.h"
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

std::vector<int64_t> distributed_order(int64_t count, int64_t rank, int64_t world, bool shuffle,
                                       uint64_t seed, int64_t epoch, bool drop_last) {
  CONVOY_CHECK(count >= 0, "sample count must be non-negative, got ", count);
  CONVOY_CHECK(world >= 1 && rank >= 0 && rank < world, "rank ", rank, " outside world of size ",
               world);
  const std::vector<int64_t> order = shuffle ? shuffled_order(count, seed, epoch) : sequential_order(count);
  // Padding wraps around (repeatedly when count < world, as PyTorch does).
  const int64_t total = drop_last ? count / world * world
                        : count == 0 ? 0
                                     : (count + world - 1) / world * world;
  std::vector<int64_t> shard;
  shard.reserve(static_cast<size_t>(total / world));
  for (int64_t position = rank; position < total; position += world)
    shard.push_back(order[static_cast<size_t>(position % count)]);
  return shard;
}

}  // namespace convoy
