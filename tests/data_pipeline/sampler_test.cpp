// Samplers: the distributed split's equal lengths, coverage and batch property.
#include "data_pipeline/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/error.h"

namespace convoy {
namespace {

const int64_t kCounts[] = {1, 7, 10, 11, 13, 40};

TEST(SamplerTest, ShuffledOrderIsAPermutationFixedBySeedAndEpoch) {
  const auto a = shuffled_order(100, 7, 3);
  EXPECT_EQ(a, shuffled_order(100, 7, 3));
  EXPECT_NE(a, shuffled_order(100, 7, 4));
  EXPECT_NE(a, shuffled_order(100, 8, 3));
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, sequential_order(100));
}

TEST(SamplerTest, OneRankGetsTheGlobalOrder) {
  for (int64_t count : kCounts) {
    EXPECT_EQ(distributed_order(count, 0, 1, true, 5, 2, false), shuffled_order(count, 5, 2));
    EXPECT_EQ(distributed_order(count, 0, 1, false, 5, 2, true), sequential_order(count));
  }
}

TEST(SamplerTest, PaddedShardsHaveEqualLengthsAndCoverEverySample) {
  for (int64_t count : kCounts)
    for (int64_t world = 1; world <= 5; ++world)
      for (bool shuffle : {false, true}) {
        SCOPED_TRACE(testing::Message() << "count " << count << " world " << world);
        const int64_t length = (count + world - 1) / world;
        std::map<int64_t, int> seen;
        for (int64_t rank = 0; rank < world; ++rank) {
          const auto shard = distributed_order(count, rank, world, shuffle, 11, 1, false);
          EXPECT_EQ(static_cast<int64_t>(shard.size()), length);
          for (int64_t index : shard) {
            ASSERT_GE(index, 0);
            ASSERT_LT(index, count);
            ++seen[index];
          }
        }
        EXPECT_EQ(static_cast<int64_t>(seen.size()), count);  // coverage
        int64_t extra = 0;
        for (const auto& [index, times] : seen) extra += times - 1;
        EXPECT_EQ(extra, length * world - count);  // only the padding repeats
        if (count % world == 0) {
          EXPECT_EQ(extra, 0);  // disjoint when nothing is padded
        }
      }
}

TEST(SamplerTest, DropLastGivesDisjointEqualShardsOfTheGlobalPrefix) {
  for (int64_t count : kCounts)
    for (int64_t world = 1; world <= 5; ++world) {
      SCOPED_TRACE(testing::Message() << "count " << count << " world " << world);
      const auto global = shuffled_order(count, 3, 9);
      const int64_t length = count / world;
      std::set<int64_t> seen;
      for (int64_t rank = 0; rank < world; ++rank) {
        const auto shard = distributed_order(count, rank, world, true, 3, 9, true);
        EXPECT_EQ(static_cast<int64_t>(shard.size()), length);
        for (int64_t index : shard) EXPECT_TRUE(seen.insert(index).second) << "repeated " << index;
      }
      const std::set<int64_t> prefix(global.begin(), global.begin() + length * world);
      EXPECT_EQ(seen, prefix);
    }
}

TEST(SamplerTest, GlobalOrderDoesNotDependOnTheRankCount) {
  for (int64_t count : kCounts)
    for (int64_t world = 1; world <= 5; ++world) {
      SCOPED_TRACE(testing::Message() << "count " << count << " world " << world);
      const auto global = shuffled_order(count, 21, 4);
      std::vector<std::vector<int64_t>> shards;
      for (int64_t rank = 0; rank < world; ++rank)
        shards.push_back(distributed_order(count, rank, world, true, 21, 4, false));
      // Interleaving the shards back (position j*world + r) gives the global
      // order, wrapped around where padded.
      const int64_t total = static_cast<int64_t>(shards[0].size()) * world;
      for (int64_t position = 0; position < total; ++position)
        EXPECT_EQ(shards[position % world][position / world], global[position % count]);
    }
}

TEST(SamplerTest, RanksKthBatchesTogetherAreTheSingleProcessKthBatch) {
  for (int64_t count : {13, 40, 97})
    for (int64_t world = 1; world <= 5; ++world)
      for (int64_t batch = 1; batch <= 4; ++batch)
        for (bool drop_last : {false, true}) {
          SCOPED_TRACE(testing::Message() << "count " << count << " world " << world << " batch "
                                          << batch << " drop_last " << drop_last);
          const auto single = distributed_order(count, 0, 1, true, 8, 2, drop_last);
          std::vector<std::vector<int64_t>> shards;
          for (int64_t rank = 0; rank < world; ++rank)
            shards.push_back(distributed_order(count, rank, world, true, 8, 2, drop_last));
          const int64_t global_batch = batch * world;
          // Every full global batch (no padding inside it).
          for (int64_t k = 0; (k + 1) * global_batch <= count; ++k) {
            std::multiset<int64_t> together;
            for (const auto& shard : shards)
              for (int64_t j = k * batch; j < (k + 1) * batch; ++j) together.insert(shard[j]);
            const std::multiset<int64_t> expected(single.begin() + k * global_batch,
                                                  single.begin() + (k + 1) * global_batch);
            EXPECT_EQ(together, expected) << "batch " << k;
          }
        }
}

TEST(SamplerTest, FewerSamplesThanRanksStillGivesEveryRankOne) {
  for (int64_t rank = 0; rank < 5; ++rank) {
    EXPECT_EQ(distributed_order(2, rank, 5, false, 0, 0, false),
              std::vector<int64_t>{rank % 2});
    EXPECT_TRUE(distributed_order(2, rank, 5, false, 0, 0, true).empty());
  }
  EXPECT_TRUE(distributed_order(0, 0, 3, true, 0, 0, false).empty());
}

TEST(SamplerTest, RejectsABadRank) {
  EXPECT_THROW(distributed_order(10, 3, 3, false, 0, 0, false), Error);
  EXPECT_THROW(distributed_order(10, -1, 3, false, 0, 0, false), Error);
  EXPECT_THROW(distributed_order(10, 0, 0, false, 0, 0, false), Error);
}

}  // namespace
}  // namespace convoy
