// Layers chained as in a network, so activations and gradients flow between
// ops in oneDNN's blocked layouts (no reorders to plain in between), against
// the composition of the double references: forward output, input gradient
// and every parameter gradient.
#include <gtest/gtest.h>

#include "nn/layers/activation.h"
#include "nn/layers/conv2d.h"
#include "nn/layers/flatten.h"
#include "nn/layers/linear.h"
#include "nn/layers/lrn.h"
#include "nn/layers/pool2d.h"
#include "nn/sequential.h"
#include "reference/gradcheck.h"

namespace convoy::testing {
namespace {

using namespace reference;

// With fuse: each activation runs inside the convolution before it (post-op).
class ChainParity : public ::testing::TestWithParam<bool> {};

TEST_P(ChainParity, ConvReluLrnPoolConvSigmoidPoolLinear) {
  const Dims4 xd{2, 3, 19, 17};
  const ConvGeometry g1{16, 3, 2, 1}, g2{6, 3, 1, 1};  // conv2: 6 channels, a padded blocked layout
  const LrnParams lrn{5, 0.1, 0.75, 2.0};
  const PoolGeometry p1{true, 3, 2, 0}, p2{false, 2, 2, 0};

  // Reference forward.
  const Vec x = random_vec(xd.size(), 1);
  const Vec w1 = random_vec(16 * 3 * 9, 2, -0.3, 0.3), b1 = random_vec(16, 3);
  const Vec w2 = random_vec(6 * 16 * 9, 4, -0.3, 0.3), b2 = random_vec(6, 5);
  const Dims4 c1d = conv_output(xd, g1);
  const Vec c1 = conv_forward(x, xd, w1, b1, g1);
  const Vec r1 = relu_forward(c1);
  const Vec n1 = lrn_forward(r1, c1d, lrn);
  const Dims4 q1d = pool_output(c1d, p1);
  const Vec q1 = pool_forward(n1, c1d, p1);
  const Dims4 c2d = conv_output(q1d, g2);
  const Vec c2 = conv_forward(q1, q1d, w2, b2, g2);
  const Vec s2 = sigmoid_forward(c2);
  const Dims4 q2d = pool_output(c2d, p2);
  const Vec q2 = pool_forward(s2, c2d, p2);
  const int64_t features = q2d.c * q2d.h * q2d.w, classes = 5;
  const Vec w3 = random_vec(classes * features, 6, -0.3, 0.3), b3 = random_vec(classes, 7);
  const Vec y = linear_forward(q2, xd.n, w3, b3, features, classes);

  // Reference backward of sum(y * r).
  const Vec r = random_vec(y.size(), 8);
  Vec dq2, dw3, db3, dq1, dw2, db2, dx, dw1, db1;
  linear_backward(q2, xd.n, w3, features, classes, r, dq2, dw3, db3);
  const Vec ds2 = pool_backward(s2, c2d, p2, dq2);
  const Vec dc2 = sigmoid_backward(c2, ds2);
  conv_backward(q1, q1d, w2, g2, dc2, dq1, dw2, db2);
  const Vec dn1 = pool_backward(n1, c1d, p1, dq1);
  const Vec dr1 = lrn_backward(r1, c1d, lrn, dn1);
  const Vec dc1 = relu_backward(c1, dr1);
  conv_backward(x, xd, w1, g1, dc1, dx, dw1, db1);

  Sequential net;
  auto& conv1 = net.add(std::make_unique<Conv2d>(3, 16, 3, 2, 1), "conv1");
  net.add(make_relu(), "relu1");
  net.add(std::make_unique<Lrn>(LrnConfig{5, 0.1, 0.75, 2.0}), "lrn1");
  net.add(std::make_unique<Pool2d>(PoolingKind::kMax, 3, 2), "pool1");
  auto& conv2 = net.add(std::make_unique<Conv2d>(16, 6, 3, 1, 1), "conv2");
  net.add(make_sigmoid(), "sig2");
  net.add(std::make_unique<Pool2d>(PoolingKind::kAverage, 2, 2), "pool2");
  net.add(std::make_unique<Flatten>(), "flatten");
  auto& fc = net.add(std::make_unique<Linear>(features, classes), "fc");
  if (GetParam()) net.fuse_activations();
  conv1.weight().value.copy_from(to_tensor(w1, conv1.weight().value.shape()));
  conv1.bias().value.copy_from(to_tensor(b1, conv1.bias().value.shape()));
  conv2.weight().value.copy_from(to_tensor(w2, conv2.weight().value.shape()));
  conv2.bias().value.copy_from(to_tensor(b2, conv2.bias().value.shape()));
  fc.weight().value.copy_from(to_tensor(w3, fc.weight().value.shape()));
  fc.bias().value.copy_from(to_tensor(b3, fc.bias().value.shape()));

  StepContext ctx;
  ctx.training = true;
  for (int pass = 0; pass < 2; ++pass) {  // the second pass runs on cached primitives
    const Tensor& out = net.forward(to_tensor(x, Shape{xd.n, xd.c, xd.h, xd.w}), ctx);
    EXPECT_LT(relative_error(to_vec(out), y), 1e-5);
    std::vector<std::string> ready;
    const Tensor& grad_x = net.backward(to_tensor(r, Shape{xd.n, classes}), true,
                                        {.on_ready = [&](Parameter& p) { ready.push_back(p.name); }});
    EXPECT_LT(relative_error(to_vec(grad_x), dx), 1e-5);
    EXPECT_LT(relative_error(to_vec(fc.weight().grad), dw3), 1e-5);
    EXPECT_LT(relative_error(to_vec(fc.bias().grad), db3), 1e-5);
    EXPECT_LT(relative_error(to_vec(conv2.weight().grad), dw2), 1e-5);
    EXPECT_LT(relative_error(to_vec(conv2.bias().grad), db2), 1e-5);
    EXPECT_LT(relative_error(to_vec(conv1.weight().grad), dw1), 1e-5);
    EXPECT_LT(relative_error(to_vec(conv1.bias().grad), db1), 1e-5);
    // Gradients are reported ready in reverse layer order (the reducer's seam).
    EXPECT_EQ(ready, (std::vector<std::string>{"fc.bias", "fc.weight", "conv2.bias", "conv2.weight",
                                               "conv1.bias", "conv1.weight"}));
  }
  // Accumulation (gradient accumulation over micro-batches): a second backward
  // with accumulate adds its gradients to the first one's, in every layout.
  net.backward(to_tensor(r, Shape{xd.n, classes}), false, {.accumulate = true, .on_ready = {}});
  auto twice = [](Vec v) {
    for (double& e : v) e *= 2;
    return v;
  };
  EXPECT_LT(relative_error(to_vec(fc.weight().grad), twice(dw3)), 1e-5);
  EXPECT_LT(relative_error(to_vec(fc.bias().grad), twice(db3)), 1e-5);
  EXPECT_LT(relative_error(to_vec(conv2.weight().grad), twice(dw2)), 1e-5);
  EXPECT_LT(relative_error(to_vec(conv2.bias().grad), twice(db2)), 1e-5);
  EXPECT_LT(relative_error(to_vec(conv1.weight().grad), twice(dw1)), 1e-5);
  EXPECT_LT(relative_error(to_vec(conv1.bias().grad), twice(db1)), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Fusion, ChainParity, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "fused" : "separate"; });

}  // namespace
}  // namespace convoy::testing
