// Loader: in-order delivery, byte-identical batches whatever the worker count,
// a worker's failure reaching the caller with the sample's name, and clean
// shutdown mid-epoch.
#include "data_pipeline/loader.h"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <new>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

#include "core/error.h"
#include "data_pipeline/sampler.h"

namespace convoy {
namespace {

// Sample i of epoch e: values i*1000 + e*100 + position, label i % 7, with a
// small random delay so workers finish out of order.
enum class Failure { kCorruptData, kInternalCheck, kOutOfMemory, kStdLibrary };

class CountingSource final : public SampleSource {
 public:
  explicit CountingSource(int64_t count, int64_t fail_at = -1, Failure failure = Failure::kCorruptData)
      : count_(count), fail_at_(fail_at), failure_(failure) {}
  int64_t size() const override { return count_; }
  int64_t num_classes() const override { return 7; }
  Shape sample_shape() const override { return Shape{2, 3, 4}; }
  void prepare_workers(int workers) override { prepared_ = workers; }
  int32_t load(int64_t index, int64_t epoch, float* out, int worker) override {
    EXPECT_LT(worker, std::max(1, prepared_));
    if (index == fail_at_) {
      switch (failure_) {
        case Failure::kCorruptData: throw Error::user("corrupt image");
        case Failure::kInternalCheck: CONVOY_THROW("an internal check");
        case Failure::kOutOfMemory: throw std::bad_alloc();
        case Failure::kStdLibrary: throw std::out_of_range("vector::at");
      }
    }
    if (index % 3 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    for (int j = 0; j < 24; ++j) out[j] = static_cast<float>(index * 1000 + epoch * 100 + j);
    loads_.fetch_add(1);
    return static_cast<int32_t>(index % 7);
  }
  std::string describe(int64_t index) const override { return "sample " + std::to_string(index) + " (fake.h5)"; }
  int64_t loads() const { return loads_.load(); }

 private:
  int64_t count_, fail_at_;
  Failure failure_;
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

TEST(Loader, AfterAFailureEveryNextFailsWithoutWorkersToo) {
  // Without workers, a failed sample used to leave its batch half filled, and
  // the next call handed the slot out with the next batch's samples loaded
  // under the failed batch's ids.
  for (int workers : {0, 2}) {
    CountingSource source(40, 6);
    Loader loader(source, 4, workers, 2);
    loader.start(sequential_order(40), 0, 0, false);
    // Batch 0 (samples 0-3) may come out first (with workers, sample 6 may
    // fail before it is asked for); once a call has failed, every later one fails.
    bool failed = false;
    for (int call = 0; call < 4; ++call) {
      try {
        const LoadedBatch* b = loader.next();
        EXPECT_FALSE(failed) << workers << " workers: a batch after the failure";
        ASSERT_NE(b, nullptr);
        EXPECT_EQ(b->index, 0);
        EXPECT_EQ(b->ids, (std::vector<int64_t>{0, 1, 2, 3}));
      } catch (const Error& e) {
        failed = true;
        EXPECT_NE(std::string(e.what()).find("sample 6"), std::string::npos) << e.what();
      }
    }
    EXPECT_TRUE(failed);
    loader.start(sequential_order(40), 1, 2, false);  // a new epoch starts afresh
    const LoadedBatch* b = loader.next();
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->index, 2);
    EXPECT_EQ(b->ids, (std::vector<int64_t>{8, 9, 10, 11}));
    EXPECT_EQ(b->images.data()[0], 8 * 1000 + 100);
  }
}

TEST(Loader, OnlyTheDataIsBlamedAsTheUsersFault) {
  for (int workers : {0, 2}) {
    // A bug of ours (a failed check, a standard-library exception) is an
    // internal error, reported with its location, the sample added.
    for (const auto& [failure, what] : {std::pair{Failure::kInternalCheck, "an internal check"},
                                        std::pair{Failure::kStdLibrary, "vector::at"}}) {
      CountingSource source(16, 5, failure);
      Loader loader(source, 4, workers, 2);
      loader.start(sequential_order(16), 0, 0, false);
      try {
        while (loader.next()) {
        }
        FAIL() << "expected a failure";
      } catch (const Error& e) {
        EXPECT_FALSE(e.is_user_error()) << e.what();
        EXPECT_NE(std::string(e.what()).find("sample 5 (fake.h5)"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
      }
    }
    CountingSource source(16, 5, Failure::kOutOfMemory);
    Loader loader(source, 4, workers, 2);
    loader.start(sequential_order(16), 0, 0, false);
    EXPECT_THROW(
        {
          while (loader.next()) {
          }
        },
        std::bad_alloc);
  }
}

TEST(Loader, RefusesAStartOutsideTheEpoch) {
  // A damaged checkpoint's position must not index outside the order.
  CountingSource source(40);
  for (int workers : {0, 2}) {
    Loader loader(source, 4, workers, 2);
    try {
      loader.start(sequential_order(40), 0, -3, false);
      FAIL() << "a negative first batch was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("batch -3"), std::string::npos) << e.what();
    }
    EXPECT_THROW(loader.start(sequential_order(40), 0, 11, false), Error);
    loader.start(sequential_order(40), 0, 10, false);  // the end: nothing left
    EXPECT_EQ(loader.next(), nullptr);
  }
}

TEST(LoaderDeathTest, FailingToStartItsThreadsThrowsInsteadOfTerminating) {
  // Under a thread limit the third worker cannot start: the two already
  // running must be stopped and joined, and the error reach the caller
  // (destroying joinable std::threads would call std::terminate).
  if (geteuid() != 0) GTEST_SKIP() << "needs root: drops to an unused user id whose thread count a limit caps";
  auto start_under_a_thread_limit = [] {
    rlimit limit{};
    limit.rlim_cur = limit.rlim_max = 3;  // this process and two threads
    if (setrlimit(RLIMIT_NPROC, &limit) != 0 || setgid(54321) != 0 || setuid(54321) != 0) _exit(3);
    CountingSource source(40);
    try {
      Loader loader(source, 4, 8, 2);
      _exit(4);  // the limit did not bite
    } catch (const std::system_error&) {
      _exit(0);
    }
  };
  EXPECT_EXIT(start_under_a_thread_limit(), ::testing::ExitedWithCode(0), "");
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
