// The oneDNN layers (float) against the double references, forward and
// backward, on several shapes including odd sizes: relative error ||a-b||/||b||.
#include <gtest/gtest.h>

#include "nn/layers/activation.h"
#include "nn/layers/conv2d.h"
#include "nn/layers/linear.h"
#include "nn/layers/lrn.h"
#include "nn/layers/pool2d.h"
#include "core/error.h"
#include "nn/loss.h"
#include "reference/gradcheck.h"
#include "common/test_support.h"

namespace convoy::testing {
namespace {

using namespace reference;
constexpr double kBound = 1e-5;

Shape shape_of(const Dims4& d) { return Shape{d.n, d.c, d.h, d.w}; }

struct ConvCase {
  Dims4 x;
  ConvGeometry g;
};

class ConvolutionParity : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvolutionParity, ForwardAndBackwardMatchReference) {
  const auto [xd, g] = GetParam();
  const Dims4 yd = conv_output(xd, g);
  const Vec x = random_vec(xd.size(), 1), w = random_vec(g.out_channels * xd.c * g.kernel * g.kernel, 2);
  const Vec b = random_vec(g.out_channels, 3), dy = random_vec(yd.size(), 4);

  Conv2d conv(xd.c, g.out_channels, g.kernel, g.stride, g.pad);
  conv.weight().value.copy_from(to_tensor(w, conv.weight().value.shape()));
  conv.bias().value.copy_from(to_tensor(b, conv.bias().value.shape()));
  const Tensor& y = conv.forward(to_tensor(x, shape_of(xd)), StepContext{});
  ASSERT_EQ(y.shape(), shape_of(yd));
  EXPECT_LT(relative_error(to_vec(y), conv_forward(x, xd, w, b, g)), kBound);

  Vec dx, dw, db;
  conv_backward(x, xd, w, g, dy, dx, dw, db);
  const Tensor& grad_x = conv.backward(to_tensor(dy, shape_of(yd)), true, {});
  EXPECT_LT(relative_error(to_vec(grad_x), dx), kBound);
  EXPECT_LT(relative_error(to_vec(conv.weight().grad), dw), kBound);
  EXPECT_LT(relative_error(to_vec(conv.bias().grad), db), kBound);

  // A second step with the same shapes reuses cached primitives and buffers.
  const Tensor& y2 = conv.forward(to_tensor(x, shape_of(xd)), StepContext{});
  EXPECT_EQ(to_vec(y2), to_vec(y));
}

INSTANTIATE_TEST_SUITE_P(Shapes, ConvolutionParity,
                         ::testing::Values(ConvCase{{2, 3, 7, 6}, {4, 3, 2, 1}},
                                           ConvCase{{2, 1, 28, 28}, {6, 5, 1, 2}},    // LeNet conv1
                                           ConvCase{{3, 6, 14, 14}, {16, 5, 1, 0}},   // LeNet conv2
                                           ConvCase{{2, 16, 9, 11}, {8, 3, 1, 1}},
                                           ConvCase{{1, 3, 39, 35}, {8, 11, 4, 0}},   // AlexNet conv1-like
                                           ConvCase{{2, 24, 13, 13}, {32, 3, 1, 1}}));

struct PoolCase {
  Dims4 x;
  PoolGeometry g;
};

class PoolingParity : public ::testing::TestWithParam<PoolCase> {};

TEST_P(PoolingParity, ForwardAndBackwardMatchReference) {
  const auto [xd, g] = GetParam();
  const Vec x = spread_vec(xd.size(), 5, 1e-3);  // no ties: max is unambiguous
  const Dims4 yd = pool_output(xd, g);
  const Vec dy = random_vec(yd.size(), 6);
  Pool2d pool(g.max ? PoolingKind::kMax : PoolingKind::kAverage, g.window, g.stride, g.pad);
  StepContext ctx;
  ctx.training = true;
  const Tensor& y = pool.forward(to_tensor(x, shape_of(xd)), ctx);
  ASSERT_EQ(y.shape(), shape_of(yd));
  EXPECT_LT(relative_error(to_vec(y), pool_forward(x, xd, g)), kBound);
  const Tensor& dx = pool.backward(to_tensor(dy, shape_of(yd)), true, {});
  EXPECT_LT(relative_error(to_vec(dx), pool_backward(x, xd, g, dy)), kBound);
}

INSTANTIATE_TEST_SUITE_P(Shapes, PoolingParity,
                         ::testing::Values(PoolCase{{2, 5, 13, 13}, {true, 3, 2, 0}},
                                           PoolCase{{1, 8, 55, 55}, {true, 3, 2, 0}},
                                           PoolCase{{2, 6, 28, 28}, {false, 2, 2, 0}},
                                           PoolCase{{1, 3, 7, 9}, {false, 2, 2, 0}},
                                           PoolCase{{2, 3, 8, 7}, {true, 2, 2, 0}}));

struct LrnCase {
  Dims4 x;
  LrnParams p;
};

class LrnParity : public ::testing::TestWithParam<LrnCase> {};

TEST_P(LrnParity, ForwardAndBackwardMatchReference) {
  const auto [xd, p] = GetParam();
  const Vec x = random_vec(xd.size(), 7, -2, 2), dy = random_vec(xd.size(), 8);
  Lrn lrn(LrnConfig{p.n, p.alpha, p.beta, p.k});
  StepContext ctx;
  ctx.training = true;
  const Tensor& y = lrn.forward(to_tensor(x, shape_of(xd)), ctx);
  EXPECT_LT(relative_error(to_vec(y), lrn_forward(x, xd, p)), kBound);
  const Tensor& dx = lrn.backward(to_tensor(dy, shape_of(xd)), true, {});
  EXPECT_LT(relative_error(to_vec(dx), lrn_backward(x, xd, p, dy)), kBound);
}

INSTANTIATE_TEST_SUITE_P(Params, LrnParity,
                         ::testing::Values(LrnCase{{2, 12, 5, 5}, {5, 1e-4, 0.75, 2.0}},  // AlexNet
                                           LrnCase{{2, 12, 5, 5}, {5, 0.5, 0.75, 2.0}},
                                           LrnCase{{1, 9, 4, 3}, {4, 0.3, 0.75, 1.0}},   // even n
                                           LrnCase{{1, 7, 3, 3}, {2, 1.0, 1.0, 1.0}},    // even n
                                           LrnCase{{2, 16, 3, 5}, {3, 0.2, 0.5, 1.5}}));

TEST(ActivationParity, ReluAndSigmoid) {
  const Shape shape{2, 3, 5, 7};
  const Vec x = spread_vec(shape.numel(), 9, 0.01), dy = random_vec(shape.numel(), 10);
  for (ActivationKind kind : {ActivationKind::kRelu, ActivationKind::kSigmoid}) {
    Activation act(kind);
    const Tensor& y = act.forward(to_tensor(x, shape), StepContext{});
    const Tensor& dx = act.backward(to_tensor(dy, shape), true, {});
    const bool relu = kind == ActivationKind::kRelu;
    EXPECT_LT(relative_error(to_vec(y), relu ? relu_forward(x) : sigmoid_forward(x)), kBound);
    EXPECT_LT(relative_error(to_vec(dx), relu ? relu_backward(x, dy) : sigmoid_backward(x, dy)), kBound);
  }
}

class LinearParity : public ::testing::TestWithParam<std::tuple<int64_t, int64_t, int64_t>> {};

TEST_P(LinearParity, ForwardAndBackwardMatchReference) {
  const auto [batch, in, out] = GetParam();
  const Vec x = random_vec(batch * in, 11), w = random_vec(out * in, 12), b = random_vec(out, 13);
  const Vec dy = random_vec(batch * out, 14);
  Linear fc(in, out);
  fc.weight().value.copy_from(to_tensor(w, fc.weight().value.shape()));
  fc.bias().value.copy_from(to_tensor(b, fc.bias().value.shape()));
  const Tensor& y = fc.forward(to_tensor(x, Shape{batch, in}), StepContext{});
  EXPECT_LT(relative_error(to_vec(y), linear_forward(x, batch, w, b, in, out)), kBound);
  Vec dx, dw, db;
  linear_backward(x, batch, w, in, out, dy, dx, dw, db);
  const Tensor& grad_x = fc.backward(to_tensor(dy, Shape{batch, out}), true, {});
  EXPECT_LT(relative_error(to_vec(grad_x), dx), kBound);
  EXPECT_LT(relative_error(to_vec(fc.weight().grad), dw), kBound);
  EXPECT_LT(relative_error(to_vec(fc.bias().grad), db), kBound);
}

INSTANTIATE_TEST_SUITE_P(Shapes, LinearParity,
                         ::testing::Values(std::make_tuple(3, 400, 120), std::make_tuple(5, 37, 11),
                                           std::make_tuple(1, 84, 10), std::make_tuple(4, 256, 129)));

TEST(SoftmaxCrossEntropyParity, LossAndGradientMatchReference) {
  const int64_t batch = 6, classes = 10;
  const Vec z = random_vec(batch * classes, 15, -4, 4);
  const std::vector<int32_t> labels{0, 9, 3, 3, 7, 1};
  Vec dz;
  const double expected = softmax_xent(z, batch, classes, labels, &dz);
  SoftmaxCrossEntropy loss;
  const double got = loss.forward(to_tensor(z, Shape{batch, classes}), labels);
  EXPECT_NEAR(got, expected, 1e-6 * expected);
  EXPECT_LT(relative_error(to_vec(loss.grad_logits()), dz), kBound);
}

TEST(SoftmaxCrossEntropyParity, RejectsLabelOutOfRange) {
  SoftmaxCrossEntropy loss;
  const std::vector<int32_t> labels{10};
  EXPECT_THROW(loss.forward(to_tensor(Vec(10, 0.0), Shape{1, 10}), labels), Error);
}

TEST(TopK, CountsLabelsAmongHighestScores) {
  const Vec scores{0.1, 0.5, 0.2, 0.9, 0.3, 0.0};  // two rows of 3
  const std::vector<int32_t> labels{2, 1};
  const Tensor t = to_tensor(scores, Shape{2, 3});
  EXPECT_EQ(count_top_k_correct(t, labels, 1), 0);
  EXPECT_EQ(count_top_k_correct(t, labels, 2), 2);
}

// The rows and labels are checked before a backend reads scores[b][labels[b]]
// (on a GPU an out-of-range read would be an illegal address, not garbage).
TEST(TopK, RejectsALabelOutOfRangeOrMissing) {
  const Tensor t = to_tensor(Vec{0.1, 0.5, 0.2, 0.9, 0.3, 0.0}, Shape{2, 3});
  const std::vector<int32_t> out_of_range{2, 3}, too_few{2};
  expect_error([&] { count_top_k_correct(t, out_of_range, 1); },
               "top-k count: label 3 of batch row 1 is outside [0, 3)");
  expect_error([&] { count_top_k_correct(t, too_few, 1); }, "top-k count: 1 labels for a batch of 2");
}

}  // namespace
}  // namespace convoy::testing
