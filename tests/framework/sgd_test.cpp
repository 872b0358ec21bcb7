#include "optim/sgd.h"

#include <gtest/gtest.h>

namespace convoy {
namespace {

// Hand-computed PyTorch SGD: v = mu v + (g + wd w); w -= lr v.
TEST(Sgd, MatchesHandComputedSteps) {
  Parameter weight;
  weight.name = "w";
  weight.value = Tensor::empty(Shape{2});
  weight.value.data()[0] = 1.0f;
  weight.value.data()[1] = -2.0f;
  weight.grad = Tensor::empty(Shape{2});
  Parameter bias;
  bias.name = "b";
  bias.is_bias = true;
  bias.value = Tensor::empty(Shape{1});
  bias.value.data()[0] = 0.5f;
  bias.grad = Tensor::empty(Shape{1});

  Sgd sgd({&weight, &bias}, SgdOptions{0.9, 0.1, false});
  weight.grad.data()[0] = 0.5f;
  weight.grad.data()[1] = 1.0f;
  bias.grad.data()[0] = 2.0f;
  sgd.step(0.1);
  // w0: d = 0.5 + 0.1*1 = 0.6; v = 0.6; w = 1 - 0.06 = 0.94
  // w1: d = 1 + 0.1*-2 = 0.8; v = 0.8; w = -2 - 0.08 = -2.08
  // b:  d = 2 (no decay on biases); v = 2; b = 0.5 - 0.2 = 0.3
  EXPECT_FLOAT_EQ(weight.value.data()[0], 0.94f);
  EXPECT_FLOAT_EQ(weight.value.data()[1], -2.08f);
  EXPECT_FLOAT_EQ(bias.value.data()[0], 0.3f);

  sgd.step(0.1);  // same gradients
  // w0: d = 0.5 + 0.094 = 0.594; v = 0.54 + 0.594 = 1.134; w = 0.94 - 0.1134 = 0.8266
  // b:  v = 1.8 + 2 = 3.8; b = 0.3 - 0.38 = -0.08
  EXPECT_NEAR(weight.value.data()[0], 0.8266f, 1e-6);
  EXPECT_NEAR(bias.value.data()[0], -0.08f, 1e-6);
  EXPECT_NEAR(sgd.velocities()[0].data()[0], 1.134f, 1e-6);
}

TEST(Sgd, DecaysBiasesWhenAsked) {
  Parameter bias;
  bias.is_bias = true;
  bias.value = Tensor::empty(Shape{1});
  bias.value.data()[0] = 1.0f;
  bias.grad = Tensor::zeros(Shape{1});
  Sgd sgd({&bias}, SgdOptions{0.0, 0.5, true});
  sgd.step(1.0);
  EXPECT_FLOAT_EQ(bias.value.data()[0], 0.5f);
}

// A data-parallel step passes the summed gradient and 1 / (ranks x micro-batches).
TEST(Sgd, ScalesTheGradientBeforeDecay) {
  Parameter weight;
  weight.value = Tensor::empty(Shape{1});
  weight.value.data()[0] = 2.0f;
  weight.grad = Tensor::empty(Shape{1});
  weight.grad.data()[0] = 3.0f;  // e.g. the sum over 4 ranks of a mean gradient 0.75
  Sgd sgd({&weight}, SgdOptions{0.0, 0.1, false});
  sgd.step(1.0, 0.25);
  // d = 0.25 * 3 + 0.1 * 2 = 0.95; w = 2 - 0.95 = 1.05
  EXPECT_FLOAT_EQ(weight.value.data()[0], 1.05f);
}

}  // namespace
}  // namespace convoy
