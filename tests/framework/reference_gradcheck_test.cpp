// The references' backward passes against central finite differences: this is
// what makes them references. Loss = sum(y * r) for a fixed random r.
#include <gtest/gtest.h>

#include "reference/gradcheck.h"

namespace convoy::testing {
namespace {

using namespace reference;
constexpr double kTolerance = 1e-6;

TEST(ReferenceGradcheck, Convolution) {
  const Dims4 xd{2, 3, 7, 6};
  const ConvGeometry g{4, 3, 2, 1};
  const Vec x = random_vec(xd.size(), 1), w = random_vec(4 * 3 * 9, 2), b = random_vec(4, 3);
  const Vec r = random_vec(conv_output(xd, g).size(), 4);
  Vec dx, dw, db;
  conv_backward(x, xd, w, g, r, dx, dw, db);
  EXPECT_LT(gradcheck_max_error([&](const Vec& v) { return dot(conv_forward(v, xd, w, b, g), r); }, x, dx), kTolerance);
  EXPECT_LT(gradcheck_max_error([&](const Vec& v) { return dot(conv_forward(x, xd, v, b, g), r); }, w, dw), kTolerance);
  EXPECT_LT(gradcheck_max_error([&](const Vec& v) { return dot(conv_forward(x, xd, w, v, g), r); }, b, db), kTolerance);
}

TEST(ReferenceGradcheck, MaxAndAveragePooling) {
  const Dims4 xd{2, 3, 7, 7};
  for (bool max : {true, false}) {
    const PoolGeometry g{max, 3, 2, 0};  // overlapping windows
    const Vec x = spread_vec(xd.size(), 5);
    const Vec r = random_vec(pool_output(xd, g).size(), 6);
    EXPECT_LT(gradcheck_max_error([&](const Vec& v) { return dot(pool_forward(v, xd, g), r); }, x,
                                  pool_backward(x, xd, g, r), 1e-5),
              kTolerance)
        << (max ? "max" : "average");
  }
}

TEST(ReferenceGradcheck, LrnOddAndEvenWindows) {
  const Dims4 xd{2, 7, 3, 2};
  for (const LrnParams p : {LrnParams{5, 1e-1, 0.75, 2.0}, LrnParams{2, 0.5, 1.0, 1.0},
                            LrnParams{4, 1e-2, 0.75, 1.0}, LrnParams{3, 1.0, 1.0, 0.0}}) {
    const Vec x = random_vec(xd.size(), 7, 0.2, 1.5);
    const Vec r = random_vec(xd.size(), 8);
    EXPECT_LT(gradcheck_max_error([&](const Vec& v) { return dot(lrn_forward(v, xd, p), r); }, x,
                                  lrn_backward(x, xd, p, r)),
              kTolerance)
        << "n=" << p.n;
  }
}

TEST(ReferenceGradcheck, Activations) {
  const Vec x = spread_vec(50, 9, 0.01);
  const Vec r = random_vec(50, 10);
  EXPECT_LT(gradcheck_max_error([&](const Vec& v) { return dot(relu_forward(v), r); }, x, relu_backward(x, r)), kTolerance);
  EXPECT_LT(gradcheck_max_error([&](const Vec& v) { return dot(sigmoid_forward(v), r); }, x, sigmoid_backward(x, r)), kTolerance);
}

TEST(ReferenceGradcheck, LinearAndSoftmaxCrossEntropy) {
  const int64_t batch = 3, in = 5, out = 4;
  const Vec x = random_vec(batch * in, 11), w = random_vec(out * in, 12), b = random_vec(out, 13);
  const Vec r = random_vec(batch * out, 14);
  Vec dx, dw, db;
  linear_backward(x, batch, w, in, out, r, dx, dw, db);
  EXPECT_LT(gradcheck_max_error([&](const Vec& v) { return dot(linear_forward(v, batch, w, b, in, out), r); }, x, dx), kTolerance);
  EXPECT_LT(gradcheck_max_error([&](const Vec& v) { return dot(linear_forward(x, batch, v, b, in, out), r); }, w, dw), kTolerance);
  EXPECT_LT(gradcheck_max_error([&](const Vec& v) { return dot(linear_forward(x, batch, w, v, in, out), r); }, b, db), kTolerance);

  const std::vector<int32_t> labels{2, 0, 3};
  const Vec z = random_vec(batch * out, 15, -3, 3);
  Vec dz;
  softmax_xent(z, batch, out, labels, &dz);
  EXPECT_LT(gradcheck_max_error([&](const Vec& v) { return softmax_xent(v, batch, out, labels, nullptr); }, z, dz), kTolerance);
}

TEST(ReferenceGradcheck, DetectsAWrongGradient) {
  // The checker itself must fail on a wrong gradient.
  const Vec x = random_vec(10, 16);
  Vec wrong = sigmoid_backward(x, Vec(10, 1.0));
  wrong[3] *= 1.1;
  EXPECT_GT(gradcheck_max_error([&](const Vec& v) { return dot(sigmoid_forward(v), Vec(10, 1.0)); }, x, wrong), 1e-3);
}

}  // namespace
}  // namespace convoy::testing
