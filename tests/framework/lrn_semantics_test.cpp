// docs/models.md's worked example and an even window, through the reference and the oneDNN layer.
#include <gtest/gtest.h>

#include "nn/layers/lrn.h"
#include "reference/gradcheck.h"

namespace convoy::testing {
namespace {

using namespace reference;

TEST(LrnSemantics, WorkedExampleIsOneSixth) {
  // (k, alpha, beta, n) = (0, 1, 1, 2); channels 1, 1, 2 at one position.
  const Dims4 xd{1, 3, 1, 1};
  const LrnParams p{2, 1.0, 1.0, 0.0};
  EXPECT_DOUBLE_EQ(lrn_forward({1, 1, 2}, xd, p)[1], 1.0 / 6.0);

  Lrn lrn(LrnConfig{2, 1.0, 1.0, 0.0});
  const Tensor& y = lrn.forward(to_tensor({1, 1, 2}, Shape{1, 3, 1, 1}), StepContext{});
  EXPECT_NEAR(y.data()[1], 1.0 / 6.0, 1e-6);
  // Channel 0 sees channels 0..1: 1 / (1 + 1); channel 2 sees 1..2: 2 / (1 + 4).
  EXPECT_NEAR(y.data()[0], 0.5, 1e-6);
  EXPECT_NEAR(y.data()[2], 0.4, 1e-6);
}

TEST(LrnSemantics, EvenWindowSpansBothSidesByHalfN) {
  // n = 4: channel i sums channels i-2 .. i+2 (five channels), alpha not divided by n.
  const Dims4 xd{1, 6, 1, 1};
  const LrnParams p{4, 0.1, 1.0, 1.0};
  const Vec x{1, 2, 3, 4, 5, 6};
  const Vec y = lrn_forward(x, xd, p);
  EXPECT_DOUBLE_EQ(y[2], 3.0 / (1.0 + 0.1 * (1 + 4 + 9 + 16 + 25)));
  EXPECT_DOUBLE_EQ(y[0], 1.0 / (1.0 + 0.1 * (1 + 4 + 9)));
  Lrn lrn(LrnConfig{4, 0.1, 1.0, 1.0});
  const Tensor& out = lrn.forward(to_tensor(x, Shape{1, 6, 1, 1}), StepContext{});
  EXPECT_LT(relative_error(to_vec(out), y), 1e-6);
}

}  // namespace
}  // namespace convoy::testing
