// Loader: in-order delivery, byte-identical batches whatever the worker count,
// a worker's failure reaching the caller with the sample's name, and clean
// shutdown mid-epoch.
#include "data_pipeline/loader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/error.h"
#include "data_pipeline/sampler.h"

namespace convoy {
namespace {

// Sample i of epoch e: values i*1000 + e*100 + position, label i % 7, with a
// small random delay so workers finish out of order.
class CountingSource final : public SampleSource {
 public:
  explicit CountingSource(int64_t count, int64_t fail_at = -1) : count_(count), fail_at_(fail_at) {}
  int64_t size() const override { return count_; }
  int64_t num_classes() const override { return 7; }
  Shape sample_shape() const override { return Shape{2, 3, 4}; }
  void prepare_workers(int workers) override { prepared_ = workers; }
  int32_t load(int64_t index, int64_t epoch, float* out, int worker) override {
    EXPECT_LT(worker, std::max(1, prepared_));
    if (index == fail_at_) throw Error::user("corrupt image");
    if (index % 3 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    for (int j = 0; j < 24; ++j) out[j] = static_cast<float>(index * 1000 + epoch * 100 + j);
    loads_.fetch_add(1);
    return static_cast<int32_t>(index % 7);
  }
  std::string describe(int64_t index) const override { return "sample " + std::to_string(index) + " (fake.h5)"; }
  int64_t loads() const { return loads_.load(); }

 private:
  int64_t count_, fail_at_;
  int prepared_ = 0;
  std::atomic<int64_t> loads_{0};
};

std::vector<std::vector<float>> run_epoch(int workers, int64_t batch, bool partial, int64_t first = 0) {
  CountingSource source(53);
  Loader loader(source, batch, workers, 3);
  std::vector<std::vector<float>> batches;
  loader.start(shuffled_order(53, 9, 2), 2, first, partial);
  int64_t expected_index = first;
  while (const LoadedBatch* b = loader.next()) {
    EXPECT_EQ(b->index, expected_index++);
    std::vector<float> values(b->images.data(), b->images.data() + b->images.numel());
    for (size_t i = 0; i < b->ids.size(); ++i) {
      EXPECT_EQ(b->labels[i], b->ids[i] % 7);
      EXPECT_EQ(values[i * 24], static_cast<float>(b->ids[i] * 1000 + 200));
    }
    batches.push_back(std::move(values));
  }
  return batches;
}

TEST(Loader, SameBatchesWithAnyWorkerCount) {
  const auto reference = run_epoch(0, 8, false);
  EXPECT_EQ(reference.size(), 6u);  // 53 / 8, tail dropped
  for (int workers : {1, 2, 8}) EXPECT_EQ(run_epoch(workers, 8, false), reference) << workers << " workers";
}

TEST(Loader, PartialLastBatchAndStartingMidEpoch) {
  const auto all = run_epoch(4, 8, true);
  ASSERT_EQ(all.size(), 7u);
  EXPECT_EQ(all.back().size(), 5u * 24);  // 53 = 6 * 8 + 5
  const auto tail = run_epoch(4, 8, true, 4);
  ASSERT_EQ(tail.size(), 3u);
  EXPECT_EQ(tail[0], all[4]);
  EXPECT_EQ(tail[2], all[6]);
}

TEST(Loader, StartingMidEpochWhileWorkersRunAhead) {
  // Workers fill the first slots before the first next(): starting at batch 4
  // must not hand a slot that is being filled to another batch.
  for (int trial = 0; trial < 20; ++trial) {
    CountingSource source(53);
    Loader loader(source, 4, 3, 3);
    loader.start(sequential_order(53), 0, 4, false);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    int64_t expected = 4;
    while (const LoadedBatch* b = loader.next()) {
      ASSERT_EQ(b->index, expected++);
      EXPECT_EQ(b->ids[0], b->index * 4);
    }
    EXPECT_EQ(expected, 13);
  }
}

TEST(Loader, ConsecutiveEpochsReuseTheLoader) {
  CountingSource source(20);
  Loader loader(source, 5, 3, 2);
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    loader.start(shuffled_order(20, 1, epoch), epoch, 0, false);
    int64_t batches = 0;
    while (const LoadedBatch* b = loader.next()) {
      EXPECT_EQ(b->images.data()[0], static_cast<float>(b->ids[0] * 1000 + epoch * 100));
      ++batches;
    }
    EXPECT_EQ(batches, 4);
  }
}

TEST(Loader, WorkerFailureNamesTheSample) {
  for (int workers : {0, 3}) {
    CountingSource source(40, 17);
    Loader loader(source, 4, workers, 2);
    loader.start(sequential_order(40), 0, 0, false);
    try {
      while (loader.next()) {
      }
      FAIL() << "expected the failure of sample 17";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("sample 17 (fake.h5)"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("corrupt image"), std::string::npos) << e.what();
    }
  }
}

TEST(Loader, StopsCleanlyMidEpoch) {
  CountingSource source(10000);
  {
    Loader loader(source, 16, 4, 2);
    loader.start(sequential_order(10000), 0, 0, false);
    ASSERT_NE(loader.next(), nullptr);
  }  // destroyed with most of the epoch unread: must join, not hang
  EXPECT_LT(source.loads(), 10000);  // prefetch is bounded
}

}  // namespace
}  // namespace convoy
