// docs/data.md (augmentation) transforms: crop, flip, normalisation and PCA lighting against
// hand-built images and a naive double-precision reference; the augmentation
// draws of docs/data.md (randomness); the PCA building blocks (eigen_symmetric3, RgbMoments).
#include "data_pipeline/transforms.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "core/error.h"

namespace convoy {
namespace {

Image make_image(int64_t height, int64_t width, int64_t channels,
                 const std::function<int(int64_t, int64_t, int64_t)>& value) {
  Image image;
  image.resize(height, width, channels);
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x)
      for (int64_t c = 0; c < channels; ++c)
        image.row(y)[x * channels + c] = static_cast<uint8_t>(value(y, x, c));
  return image;
}

int pattern(int64_t y, int64_t x, int64_t c) { return static_cast<int>((y * 17 + x * 5 + c * 60) % 256); }

// A photo-like random image: channels share a random brightness, so they correlate.
Image random_image(int64_t height, int64_t width, uint32_t seed) {
  uint32_t state = seed;
  auto next = [&]() {
    state = state * 1664525u + 1013904223u;
    return static_cast<int>(state >> 24);
  };
  return make_image(height, width, 3, [&, last_pixel = int64_t{-1}, base = 0](int64_t y, int64_t x,
                                                                               int64_t c) mutable {
    if (y * width + x != last_pixel) {
      last_pixel = y * width + x;
      base = next() / 2;
    }
    return std::min(255, base + next() / (2 + static_cast<int>(c)));
  });
}

TransformOptions plain_options(int64_t crop) {
  TransformOptions options;
  options.crop_size = crop;
  return options;
}

std::vector<float> run_train(const Image& image, const AugmentDraw& draw, const TransformOptions& options) {
  std::vector<float> out(static_cast<size_t>(image.channels * options.crop_size * options.crop_size));
  apply_train_transform(image, draw, options, out.data());
  return out;
}

// --- crop, flip, normalisation -------------------------------------------

TEST(TransformTest, TinyHandBuiltCropAndFlip) {
  // 1 channel, 3x4:  0  10  20  30 / 40 50 60 70 / 80 90 100 110
  const Image image = make_image(3, 4, 1, [](int64_t y, int64_t x, int64_t) { return 40 * y + 10 * x; });
  TransformOptions options = plain_options(2);
  options.std = {255.0 / 255.0, 1, 1};
  AugmentDraw draw;
  draw.top = 1;
  draw.left = 1;
  auto scaled = [](std::vector<float> v) {
    for (float& x : v) x = std::round(x * 255.0f);
    return v;
  };
  EXPECT_EQ(scaled(run_train(image, draw, options)), (std::vector<float>{50, 60, 90, 100}));
  draw.flip = true;
  EXPECT_EQ(scaled(run_train(image, draw, options)), (std::vector<float>{60, 50, 100, 90}));
}

TEST(TransformTest, CropIsExactPixelOver255InCHW) {
  const Image image = make_image(7, 9, 3, pattern);
  const TransformOptions options = plain_options(4);
  AugmentDraw draw;
  draw.top = 2;
  draw.left = 5;
  const auto out = run_train(image, draw, options);
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t y = 0; y < 4; ++y)
      for (int64_t x = 0; x < 4; ++x)
        EXPECT_NEAR(out[(c * 4 + y) * 4 + x], pattern(2 + y, 5 + x, c) / 255.0, 1e-7);
}

TEST(TransformTest, FlipMirrorsTheCrop) {
  // Crop widths 1..40 cover the 8-pixel SIMD steps and the leftover pixels.
  const Image image = make_image(40, 43, 3, pattern);
  for (int64_t crop = 1; crop <= 40; ++crop)
    for (bool flip : {false, true}) {
      SCOPED_TRACE(testing::Message() << "crop " << crop << " flip " << flip);
      const TransformOptions options = plain_options(crop);
      AugmentDraw draw;
      draw.top = (40 - crop) / 3;
      draw.left = 43 - crop;
      draw.flip = flip;
      const auto out = run_train(image, draw, options);
      for (int64_t c = 0; c < 3; ++c)
        for (int64_t y = 0; y < crop; ++y)
          for (int64_t x = 0; x < crop; ++x) {
            const int64_t source_x = draw.left + (flip ? crop - 1 - x : x);
            ASSERT_NEAR(out[(c * crop + y) * crop + x], pattern(draw.top + y, source_x, c) / 255.0, 1e-7);
          }
    }
}

TEST(TransformTest, NormalisationUsesPerChannelMeanAndStd) {
  const Image image = make_image(5, 5, 3, pattern);
  TransformOptions options = plain_options(5);
  options.mean = {0.485, 0.456, 0.406};
  options.std = {0.229, 0.224, 0.225};
  const auto out = run_train(image, AugmentDraw{}, options);
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t i = 0; i < 25; ++i) {
      const double expected = (pattern(i / 5, i % 5, c) / 255.0 - options.mean[c]) / options.std[c];
      EXPECT_NEAR(out[c * 25 + i], expected, 1e-6);
    }
}

TEST(TransformTest, SingleChannelNormalisation) {
  const Image image = make_image(6, 6, 1, [](int64_t y, int64_t x, int64_t) { return 7 * y * 6 + x; });
  TransformOptions options = plain_options(6);
  options.mean = {0.1307, 0, 0};
  options.std = {0.3081, 1, 1};
  const auto out = run_train(image, AugmentDraw{}, options);
  for (int64_t i = 0; i < 36; ++i)
    EXPECT_NEAR(out[i], ((7 * (i / 6) * 6 + i % 6) / 255.0 - 0.1307) / 0.3081, 1e-6);
}

TEST(TransformTest, CenterCropTakesTheMiddleWindow) {
  const Image image = make_image(8, 11, 3, pattern);
  const TransformOptions options = plain_options(5);
  std::vector<float> out(3 * 25);
  center_crop_transform(image, options, out.data());
  AugmentDraw draw;
  draw.top = 1;  // (8-5)/2
  draw.left = 3;  // (11-5)/2
  EXPECT_EQ(out, run_train(image, draw, options));
}

TEST(TransformTest, TenCropOrderAndContent) {
  const Image image = make_image(6, 7, 3, pattern);
  const TransformOptions options = plain_options(4);
  const int64_t size = 3 * 4 * 4;
  std::vector<float> out(static_cast<size_t>(kTenCropCount * size));
  ten_crop_transform(image, options, out.data());
  // top-left, top-right, bottom-left, bottom-right, centre; then their flips.
  const int64_t origins[5][2] = {{0, 0}, {0, 3}, {2, 0}, {2, 3}, {1, 1}};
  for (int flip = 0; flip < 2; ++flip)
    for (int i = 0; i < 5; ++i) {
      const float* crop = out.data() + (flip * 5 + i) * size;
      for (int64_t c = 0; c < 3; ++c)
        for (int64_t y = 0; y < 4; ++y)
          for (int64_t x = 0; x < 4; ++x) {
            const int64_t source_x = origins[i][1] + (flip ? 3 - x : x);
            EXPECT_NEAR(crop[(c * 4 + y) * 4 + x], pattern(origins[i][0] + y, source_x, c) / 255.0, 1e-7)
                << "crop " << flip * 5 + i;
          }
    }
  std::vector<float> centre(static_cast<size_t>(size));
  center_crop_transform(image, options, centre.data());
  EXPECT_TRUE(std::equal(centre.begin(), centre.end(), out.begin() + 4 * size));
}

TEST(TransformTest, BadInputsAreClearErrors) {
  const Image image = make_image(5, 5, 1, pattern);
  std::vector<float> out(1000);
  TransformOptions options = plain_options(6);
  EXPECT_THROW(center_crop_transform(image, options, out.data()), Error);
  EXPECT_THROW(draw_augmentation(1, 0, 0, 5, 5, options), Error);
  options.crop_size = 4;
  options.pca = PcaMode::kImage;
  try {
    apply_train_transform(image, AugmentDraw{}, options, out.data());
    FAIL() << "PCA lighting on a 1-channel image must fail";
  } catch (const Error& error) {
    EXPECT_TRUE(error.is_user_error());
  }
  options.pca = PcaMode::kOff;
  AugmentDraw outside;
  outside.left = 2;
  EXPECT_THROW(apply_train_transform(image, outside, options, out.data()), Error);
}

TEST(TransformTest, ParsePcaMode) {
  EXPECT_EQ(parse_named<PcaMode>("off", "--pca"), PcaMode::kOff);
  EXPECT_EQ(parse_named<PcaMode>("image", "--pca"), PcaMode::kImage);
  EXPECT_EQ(parse_named<PcaMode>("dataset", "--pca"), PcaMode::kDataset);
  EXPECT_THROW(parse_named<PcaMode>("Dataset", "--pca"), Error);
  EXPECT_THROW(parse_named<PcaMode>("", "--pca"), Error);
}

// --- PCA lighting against a naive reference ------------------------------

// docs/data.md (augmentation) steps 1-6 plus normalisation, written out plainly in double.
std::vector<double> naive_lighting(const Image& image, const AugmentDraw& draw,
                                   const TransformOptions& options, std::array<double, 3>* delta_out) {
  const int64_t crop = options.crop_size, n = crop * crop;
  std::vector<std::vector<double>> x(3, std::vector<double>(static_cast<size_t>(n)));
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t y = 0; y < crop; ++y)
      for (int64_t col = 0; col < crop; ++col) {
        const int64_t source_x = draw.left + (draw.flip ? crop - 1 - col : col);
        x[c][y * crop + col] = image.row(draw.top + y)[source_x * 3 + c] / 255.0;
      }
  Eigen3 eigen;
  if (options.pca == PcaMode::kDataset) {
    eigen = options.dataset_pca;
  } else {
    // 1. standardise each channel (two passes); 2-3. covariance of the (n, 3) matrix.
    std::vector<std::vector<double>> z = x;
    for (int64_t c = 0; c < 3; ++c) {
      double mean = 0;
      for (double v : x[c]) mean += v;
      mean /= n;
      double variance = 0;
      for (double v : x[c]) variance += (v - mean) * (v - mean);
      variance /= n;
      for (int64_t i = 0; i < n; ++i)
        z[c][i] = variance < 1e-12 ? 0.0 : (x[c][i] - mean) / std::sqrt(variance);
    }
    Matrix3 covariance{};
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) {
        double mean_a = 0, mean_b = 0;
        for (int64_t i = 0; i < n; ++i) {
          mean_a += z[a][i];
          mean_b += z[b][i];
        }
        mean_a /= n;
        mean_b /= n;
        double sum = 0;
        for (int64_t i = 0; i < n; ++i) sum += (z[a][i] - mean_a) * (z[b][i] - mean_b);
        covariance[a][b] = sum / n;
      }
    eigen = eigen_symmetric3(covariance);  // 4.
  }
  std::array<double, 3> delta{};  // 5.
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 3; ++i) delta[c] += eigen.vectors[c][i] * draw.alpha[i] * eigen.values[i];
  if (delta_out) *delta_out = delta;
  std::vector<double> out(static_cast<size_t>(3 * n));
  for (int64_t c = 0; c < 3; ++c)  // 6. and normalisation
    for (int64_t i = 0; i < n; ++i)
      out[c * n + i] = (x[c][i] + delta[c] - options.mean[c]) / options.std[c];
  return out;
}

double max_abs_difference(const std::vector<float>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

TransformOptions lighting_options(PcaMode mode) {
  TransformOptions options = plain_options(24);
  options.pca = mode;
  options.mean = {0.48, 0.46, 0.41};
  options.std = {0.23, 0.22, 0.23};
  // AlexNet-style dataset eigen-decomposition (from a covariance, so it is consistent).
  options.dataset_pca = eigen_symmetric3(Matrix3{{{0.066, 0.060, 0.052},
                                                  {0.060, 0.062, 0.057},
                                                  {0.052, 0.057, 0.067}}});
  return options;
}

TEST(TransformTest, PcaLightingMatchesNaiveReferenceInBothModes) {
  const Image image = random_image(31, 29, 12345);
  for (PcaMode mode : {PcaMode::kImage, PcaMode::kDataset})
    for (bool flip : {false, true}) {
      SCOPED_TRACE(testing::Message() << name_of(mode) << " flip " << flip);
      const TransformOptions options = lighting_options(mode);
      AugmentDraw draw;
      draw.top = 4;
      draw.left = 3;
      draw.flip = flip;
      draw.alpha = {0.3, -0.2, 0.15};
      std::array<double, 3> naive_delta{};
      const auto expected = naive_lighting(image, draw, options, &naive_delta);
      const auto delta = lighting_delta(image, draw, options);
      for (int c = 0; c < 3; ++c) EXPECT_NEAR(delta[c], naive_delta[c], 1e-10);
      EXPECT_GT(std::abs(delta[0]) + std::abs(delta[1]) + std::abs(delta[2]), 1e-3);  // it did light
      EXPECT_LE(max_abs_difference(run_train(image, draw, options), expected), 1e-5);
    }
}

TEST(TransformTest, DrawnAugmentationsMatchNaiveReference) {
  // End to end: the draws of several samples, applied, against the reference.
  const Image image = random_image(40, 44, 2024);
  for (PcaMode mode : {PcaMode::kImage, PcaMode::kDataset}) {
    TransformOptions options = lighting_options(mode);
    options.crop_size = 37;  // 111 bytes a row: two whole 48-byte chunks and a tail
    for (int64_t sample = 0; sample < 8; ++sample) {
      const AugmentDraw draw = draw_augmentation(77, 2, sample, 40, 44, options);
      EXPECT_LE(max_abs_difference(run_train(image, draw, options),
                                   naive_lighting(image, draw, options, nullptr)),
                1e-5)
          << name_of(mode) << " sample " << sample;
    }
  }
}

TEST(TransformTest, PcaLightingWithAConstantChannel) {
  // Green is constant (variance 0 < 1e-12): it standardises to zeros.
  Image image = random_image(20, 20, 777);
  for (int64_t y = 0; y < 20; ++y)
    for (int64_t x = 0; x < 20; ++x) image.row(y)[x * 3 + 1] = 77;
  TransformOptions options = lighting_options(PcaMode::kImage);
  options.crop_size = 16;
  AugmentDraw draw;
  draw.top = 2;
  draw.left = 1;
  // With one channel zeroed, the other two form [[1, r], [r, 1]], whose second
  // eigenvector (1, -1)/sqrt2 ties in magnitude, so the docs/data.md augmentation sign convention
  // leaves its sign to rounding; alpha[1] = 0 keeps the test independent of it.
  draw.alpha = {0.25, 0.0, -0.3};
  std::array<double, 3> naive_delta{};
  const auto expected = naive_lighting(image, draw, options, &naive_delta);
  EXPECT_LE(max_abs_difference(run_train(image, draw, options), expected), 1e-5);
  EXPECT_GT(std::abs(naive_delta[0]), 1e-3);
  EXPECT_EQ(lighting_delta(image, draw, options)[1], 0.0);  // the constant channel is not lit
  // A fully constant image has a zero covariance: no lighting at all.
  const Image flat = make_image(20, 20, 3, [](int64_t, int64_t, int64_t c) { return 40 + c; });
  const auto delta = lighting_delta(flat, draw, options);
  for (double d : delta) EXPECT_EQ(d, 0.0);
  EXPECT_LE(max_abs_difference(run_train(flat, draw, options), naive_lighting(flat, draw, options, nullptr)),
            1e-6);
}

TEST(TransformTest, PcaOffAddsNothing) {
  const Image image = random_image(10, 10, 5);
  TransformOptions options = lighting_options(PcaMode::kOff);
  options.crop_size = 8;
  AugmentDraw draw;
  draw.alpha = {0.5, 0.5, 0.5};  // ignored when lighting is off
  const auto lit = run_train(image, draw, options);
  draw.alpha = {};
  EXPECT_EQ(lit, run_train(image, draw, options));
}

// --- augmentation draws (docs/data.md, randomness) ---------------------------------------

TEST(AugmentationDrawTest, DeterministicAndKeyedBySeedEpochAndSample) {
  TransformOptions options = plain_options(227);
  options.pca = PcaMode::kDataset;
  auto same = [](const AugmentDraw& a, const AugmentDraw& b) {
    return a.top == b.top && a.left == b.left && a.flip == b.flip && a.alpha == b.alpha;
  };
  const AugmentDraw base = draw_augmentation(42, 3, 1000, 256, 256, options);
  EXPECT_TRUE(same(base, draw_augmentation(42, 3, 1000, 256, 256, options)));
  EXPECT_FALSE(same(base, draw_augmentation(42, 3, 1001, 256, 256, options)));
  EXPECT_FALSE(same(base, draw_augmentation(42, 4, 1000, 256, 256, options)));
  EXPECT_FALSE(same(base, draw_augmentation(43, 3, 1000, 256, 256, options)));
  // Turning flip or lighting off leaves the other draws as they were.
  TransformOptions no_flip = options;
  no_flip.flip = false;
  const AugmentDraw unflipped = draw_augmentation(42, 3, 1000, 256, 256, no_flip);
  EXPECT_FALSE(unflipped.flip);
  EXPECT_EQ(unflipped.top, base.top);
  EXPECT_EQ(unflipped.alpha, base.alpha);
  TransformOptions no_pca = options;
  no_pca.pca = PcaMode::kOff;
  const AugmentDraw unlit = draw_augmentation(42, 3, 1000, 256, 256, no_pca);
  EXPECT_EQ(unlit.alpha, (std::array<double, 3>{0, 0, 0}));
  EXPECT_EQ(unlit.left, base.left);
  EXPECT_EQ(unlit.flip, base.flip);
}

TEST(AugmentationDrawTest, OffsetsInRangeFlipsHalfAndAlphaHasSigma) {
  TransformOptions options = plain_options(227);
  options.pca = PcaMode::kImage;
  options.pca_sigma = 0.1;
  const int kSamples = 20000;
  int flips = 0;
  double sum_squares = 0;
  std::vector<int> top_seen(30, 0);
  for (int i = 0; i < kSamples; ++i) {
    const AugmentDraw draw = draw_augmentation(9, 1, i, 256, 260, options);
    ASSERT_GE(draw.top, 0);
    ASSERT_LE(draw.top, 256 - 227);
    ASSERT_GE(draw.left, 0);
    ASSERT_LE(draw.left, 260 - 227);
    ++top_seen[draw.top];
    flips += draw.flip;
    for (double a : draw.alpha) sum_squares += a * a;
  }
  for (int top = 0; top < 30; ++top) EXPECT_GT(top_seen[top], 0) << "top " << top << " never drawn";
  EXPECT_NEAR(static_cast<double>(flips) / kSamples, 0.5, 0.02);
  EXPECT_NEAR(std::sqrt(sum_squares / (3.0 * kSamples)), 0.1, 0.003);
  // A crop the size of the image has one position.
  options.crop_size = 28;
  for (int i = 0; i < 50; ++i) {
    const AugmentDraw draw = draw_augmentation(9, 1, i, 28, 28, options);
    EXPECT_EQ(draw.top, 0);
    EXPECT_EQ(draw.left, 0);
  }
}

// --- PCA building blocks ---------------------------------------------------

void expect_eigenpairs(const Matrix3& m, const Eigen3& e) {
  for (int i = 0; i < 3; ++i) {
    if (i > 0) {
      EXPECT_GE(e.values[i - 1], e.values[i]);  // descending
    }
    int largest = 0;
    for (int r = 0; r < 3; ++r) {
      double av = 0;
      for (int k = 0; k < 3; ++k) av += m[r][k] * e.vectors[k][i];
      EXPECT_NEAR(av, e.values[i] * e.vectors[r][i], 1e-12) << "A v = lambda v, pair " << i;
      if (std::abs(e.vectors[r][i]) > std::abs(e.vectors[largest][i])) largest = r;
    }
    EXPECT_GT(e.vectors[largest][i], 0.0) << "sign convention, column " << i;
    for (int j = 0; j < 3; ++j) {
      double dot = 0;
      for (int r = 0; r < 3; ++r) dot += e.vectors[r][i] * e.vectors[r][j];
      EXPECT_NEAR(dot, i == j ? 1.0 : 0.0, 1e-12);
    }
  }
}

TEST(PcaTest, EigenOfADiagonalMatrix) {
  const Matrix3 m{{{1, 0, 0}, {0, 3, 0}, {0, 0, 2}}};
  const Eigen3 e = eigen_symmetric3(m);
  EXPECT_EQ(e.values, (std::array<double, 3>{3, 2, 1}));
  const Matrix3 expected{{{0, 0, 1}, {1, 0, 0}, {0, 1, 0}}};
  EXPECT_EQ(e.vectors, expected);
  expect_eigenpairs(m, e);
}

TEST(PcaTest, EigenOfAKnownSymmetricMatrix) {
  // Q diag(5, 2, 0.5) Q^T with Q's columns (1,1,0)/sqrt2, (1,-1,1)/sqrt3, (-1,1,2)/sqrt6.
  const double s2 = std::sqrt(2.0), s3 = std::sqrt(3.0), s6 = std::sqrt(6.0);
  const double q[3][3] = {{1 / s2, 1 / s3, -1 / s6}, {1 / s2, -1 / s3, 1 / s6}, {0, 1 / s3, 2 / s6}};
  const double lambda[3] = {5, 2, 0.5};
  Matrix3 m{};
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c)
      for (int k = 0; k < 3; ++k) m[r][c] += q[r][k] * lambda[k] * q[c][k];
  const Eigen3 e = eigen_symmetric3(m);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(e.values[i], lambda[i], 1e-12);
  // Columns 0 and 2 have a unique largest-magnitude component, so the sign
  // convention fixes them exactly (column 1's magnitudes tie).
  EXPECT_NEAR(e.vectors[0][0], 1 / s2, 1e-12);
  EXPECT_NEAR(e.vectors[1][0], 1 / s2, 1e-12);
  EXPECT_NEAR(e.vectors[2][2], 2 / s6, 1e-12);  // largest of (-1,1,2)/sqrt6 is positive
  expect_eigenpairs(m, e);
  // A general matrix whose eigenvectors come out negative before the convention.
  const Matrix3 general{{{4, 1, -2}, {1, 3, 0.5}, {-2, 0.5, 5}}};
  expect_eigenpairs(general, eigen_symmetric3(general));
  const Matrix3 negative{{{2, -1, 0}, {-1, 2, -1}, {0, -1, 2}}};
  expect_eigenpairs(negative, eigen_symmetric3(negative));
}

TEST(PcaTest, RgbMomentsMatchATwoPassComputation) {
  const Image image = random_image(17, 23, 99);
  const int64_t n = 17 * 23;
  RgbMoments whole, first, second;
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* p = image.pixels.data() + 3 * i;
    whole.add(p[0] / 255.0, p[1] / 255.0, p[2] / 255.0);
    (i < n / 3 ? first : second).add(p[0] / 255.0, p[1] / 255.0, p[2] / 255.0);
  }
  first.merge(second);
  double mean[3] = {0, 0, 0};
  for (int64_t i = 0; i < n; ++i)
    for (int c = 0; c < 3; ++c) mean[c] += image.pixels[3 * i + c] / 255.0 / n;
  Matrix3 covariance{};
  for (int64_t i = 0; i < n; ++i)
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b)
        covariance[a][b] += (image.pixels[3 * i + a] / 255.0 - mean[a]) *
                            (image.pixels[3 * i + b] / 255.0 - mean[b]) / n;
  for (const RgbMoments* moments : {&whole, &first}) {
    EXPECT_EQ(moments->count(), n);
    for (int a = 0; a < 3; ++a) {
      EXPECT_NEAR(moments->mean()[a], mean[a], 1e-12);
      EXPECT_NEAR(moments->std()[a], std::sqrt(covariance[a][a]), 1e-12);
      for (int b = 0; b < 3; ++b) EXPECT_NEAR(moments->covariance()[a][b], covariance[a][b], 1e-12);
    }
  }
}

}  // namespace
}  // namespace convoy
