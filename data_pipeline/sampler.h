// Sample orders. One permutation per epoch from (seed, epoch) (docs/data.md (randomness), §7),
// so the order does not depend on how many ranks or workers consume it.
#pragma once

#include <cstdint>
#include <vector>

namespace convoy {

std::vector<int64_t> sequential_order(int64_t count);
// Fisher-Yates driven by the Philox stream (seed, shuffle, epoch).
std::vector<int64_t> shuffled_order(int64_t count, uint64_t seed, int64_t epoch);

// One rank's share of an epoch, like PyTorch's DistributedSampler. The global
// order (shuffled_order(count, seed, epoch), or sequential_order(count)) is
// padded by wrapping around to a multiple of `world` (or, with drop_last,
// truncated to one), and rank r takes positions r, r + world, r + 2*world, ...
// So every rank gets the same length (uneven shards hang collectives, docs/distributed.md),
// the global order does not depend on `world`, and for a per-rank batch b the
// ranks' k-th batches together are exactly positions [k*b*world, (k+1)*b*world)
// of that global order: the single-process k-th batch of size b*world.
std::vector<int64_t> distributed_order(int64_t count, int64_t rank, int64_t world, bool shuffle,
                                       uint64_t seed, int64_t epoch, bool drop_last);

}  // namespace convoy
