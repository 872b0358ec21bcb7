#include "nn/layers/dropout.h"

#include <gtest/gtest.h>

#include "reference/gradcheck.h"

namespace convoy::testing {
namespace {

StepContext training_step(uint64_t step, const std::vector<int64_t>& ids) {
  StepContext ctx;
  ctx.training = true;
  ctx.seed = 123;
  ctx.step = step;
  ctx.sample_ids = ids;
  return ctx;
}

TEST(Dropout, KeepsAboutHalfAndScalesByTwo) {
  Dropout drop(0.5, 6);
  const std::vector<int64_t> ids{0, 1, 2, 3};
  const Tensor x = to_tensor(Vec(4 * 4096, 1.0), Shape{4, 4096});
  const Tensor& y = drop.forward(x, training_step(0, ids));
  int64_t kept = 0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    ASSERT_TRUE(y.data()[i] == 0.0f || y.data()[i] == 2.0f);
    kept += y.data()[i] != 0.0f;
  }
  EXPECT_NEAR(static_cast<double>(kept) / y.numel(), 0.5, 0.02);
}

TEST(Dropout, MaskDependsOnSampleNotBatchPosition) {
  Dropout drop(0.5, 6);
  const Vec values = random_vec(3 * 100, 1);
  const Tensor x = to_tensor(values, Shape{3, 100});
  const std::vector<int64_t> order{10, 11, 12};
  const Vec first = to_vec(drop.forward(x, training_step(5, order)));

  // Same samples, reversed in the batch (rows and ids reversed together).
  Vec reversed_values(values.size());
  for (int r = 0; r < 3; ++r)
    std::copy(values.begin() + r * 100, values.begin() + (r + 1) * 100, reversed_values.begin() + (2 - r) * 100);
  const std::vector<int64_t> reversed{12, 11, 10};
  const Vec second = to_vec(drop.forward(to_tensor(reversed_values, Shape{3, 100}), training_step(5, reversed)));
  for (int r = 0; r < 3; ++r)
    for (int j = 0; j < 100; ++j) EXPECT_EQ(first[r * 100 + j], second[(2 - r) * 100 + j]);

  // A one-sample batch of sample 11 sees the same mask (per-rank shards do this).
  const std::vector<int64_t> alone{11};
  const Vec single = to_vec(drop.forward(x.slice_batch(1, 2), training_step(5, alone)));
  for (int j = 0; j < 100; ++j) EXPECT_EQ(single[j], first[100 + j]);
}

TEST(Dropout, MasksDifferAcrossStepsAndLayersButRepeatExactly) {
  const std::vector<int64_t> ids{0};
  const Tensor x = to_tensor(Vec(256, 1.0), Shape{1, 256});
  Dropout a(0.5, 6), b(0.5, 7);
  const Vec step0 = to_vec(a.forward(x, training_step(0, ids)));
  EXPECT_EQ(to_vec(a.forward(x, training_step(0, ids))), step0);
  EXPECT_NE(to_vec(a.forward(x, training_step(1, ids))), step0);
  EXPECT_NE(to_vec(b.forward(x, training_step(0, ids))), step0);
}

TEST(Dropout, BackwardUsesTheForwardMaskAndEvaluationPassesThrough) {
  Dropout drop(0.5, 6);
  const std::vector<int64_t> ids{0, 1};
  const Tensor x = to_tensor(Vec(2 * 64, 1.0), Shape{2, 64});
  const Vec y = to_vec(drop.forward(x, training_step(3, ids)));
  const Vec dx = to_vec(drop.backward(to_tensor(Vec(128, 3.0), Shape{2, 64}), true, {}));
  for (size_t i = 0; i < y.size(); ++i) EXPECT_EQ(dx[i], 3.0 * y[i]);  // mask is y / x

  const Tensor& eval = drop.forward(x, StepContext{});
  EXPECT_EQ(to_vec(eval), Vec(128, 1.0));
}

}  // namespace
}  // namespace convoy::testing
