#include "data_pipeline/image_resize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "tests/data_pipeline/image_test_util.h"

namespace convoy {
namespace {

// Naive double reference: PIL's anti-aliased triangle (bilinear) resize of the
// whole image, both passes in double, then the crop.
std::vector<double> reference_resize(const Image& in, int64_t out_h, int64_t out_w) {
  auto weights = [](int64_t in_size, int64_t out_size, int64_t i, int64_t& lo) {
    const double scale = double(in_size) / double(out_size), fs = std::max(scale, 1.0);
    const double center = (i + 0.5) * scale;
    lo = std::max<int64_t>(int64_t(center - fs + 0.5), 0);
    const int64_t hi = std::min<int64_t>(int64_t(center + fs + 0.5), in_size);
    std::vector<double> w;
    double total = 0;
    for (int64_t k = lo; k < hi; ++k) {
      const double x = std::abs((k - center + 0.5) / fs);
      w.push_back(x < 1 ? 1 - x : 0);
      total += w.back();
    }
    for (double& v : w) v /= total;
    return w;
  };
  const int64_t c = in.channels;
  std::vector<double> horizontal(in.height * out_w * c), out(out_h * out_w * c);
  for (int64_t y = 0; y < in.height; ++y)
    for (int64_t x = 0; x < out_w; ++x) {
      int64_t lo = 0;
      const auto w = weights(in.width, out_w, x, lo);
      for (int64_t ch = 0; ch < c; ++ch) {
        double acc = 0;
        for (size_t k = 0; k < w.size(); ++k) acc += w[k] * in.row(y)[(lo + k) * c + ch];
        horizontal[(y * out_w + x) * c + ch] = acc;
      }
    }
  for (int64_t y = 0; y < out_h; ++y) {
    int64_t lo = 0;
    const auto w = weights(in.height, out_h, y, lo);
    for (int64_t i = 0; i < out_w * c; ++i) {
      double acc = 0;
      for (size_t k = 0; k < w.size(); ++k) acc += w[k] * horizontal[(lo + k) * out_w * c + i];
      out[y * out_w * c + i] = acc;
    }
  }
  return out;
}

Image constant_image(int64_t h, int64_t w, uint8_t r, uint8_t g, uint8_t b) {
  Image image;
  image.resize(h, w, 3);
  for (int64_t i = 0; i < h * w; ++i) {
    image.pixels[3 * i] = r;
    image.pixels[3 * i + 1] = g;
    image.pixels[3 * i + 2] = b;
  }
  return image;
}

TEST(Resize, ShorterSideSize) {
  int64_t h = 0, w = 0;
  shorter_side_size(375, 500, 256, h, w);
  EXPECT_EQ(h, 256);
  EXPECT_EQ(w, 341);  // 256 * 500 / 375 = 341.33, truncated as torchvision does
  shorter_side_size(500, 333, 256, h, w);
  EXPECT_EQ(w, 256);
  EXPECT_EQ(h, 384);  // 384.38
  shorter_side_size(56, 2400, 256, h, w);
  EXPECT_EQ(h, 256);
  EXPECT_EQ(w, 10971);
}

TEST(Resize, ConstantImageStaysConstant) {
  for (int64_t h : {5, 37, 300})
    for (int64_t w : {7, 53, 401}) {
      Image out;
      resize_shorter_side_and_center_crop(constant_image(h, w, 10, 200, 255), 16, 16, 12, out);
      ASSERT_EQ(out.height, 16);
      ASSERT_EQ(out.width, 12);
      for (int64_t i = 0; i < 16 * 12; ++i) {
        ASSERT_EQ(out.pixels[3 * i], 10);
        ASSERT_EQ(out.pixels[3 * i + 1], 200);
        ASSERT_EQ(out.pixels[3 * i + 2], 255);
      }
    }
}

TEST(Resize, TwoTimesDownscaleByHand) {
  // Columns 0, 40, 80, 120, constant down each column; 4x4 -> 2x2. With scale 2
  // the triangle spans 2 pixels each side: output column 0 is centred at 1.0 with
  // taps at 0,1,2 weighing 0.75, 0.75, 0.25 (sum 1.75) -> (0 + 30 + 20) / 1.75 =
  // 28.57 -> 29; column 1 (centre 3.0): taps 1,2,3 at 0.25, 0.75, 0.75 ->
  // (10 + 60 + 90) / 1.75 = 91.43 -> 91.
  Image in;
  in.resize(4, 4, 1);
  for (int64_t y = 0; y < 4; ++y)
    for (int64_t x = 0; x < 4; ++x) in.row(y)[x] = static_cast<uint8_t>(40 * x);
  Image out;
  resize_shorter_side_and_center_crop(in, 2, 2, 2, out);
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{29, 91, 29, 91}));
}

TEST(Resize, SameSizeIsACopyAndCropOffsetsAreCentred) {
  const Image square = testing::pattern_image(12, 12, 1);
  Image out;
  resize_shorter_side_and_center_crop(square, 12, 12, 12, out);
  EXPECT_EQ(out.pixels, square.pixels);

  // Wide 10x21: height stays 10, width stays 21; the 10x10 crop starts at column (21 - 10) / 2 = 5.
  const Image wide = testing::pattern_image(10, 21, 2);
  resize_shorter_side_and_center_crop(wide, 10, 10, 10, out);
  for (int64_t y = 0; y < 10; ++y)
    for (int64_t i = 0; i < 30; ++i) ASSERT_EQ(out.row(y)[i], wide.row(y)[5 * 3 + i]) << y << " " << i;

  // Tall 20x10, crop 6x8 at shorter 10: top (20 - 6) / 2 = 7, left (10 - 8) / 2 = 1.
  const Image tall = testing::pattern_image(20, 10, 3);
  resize_shorter_side_and_center_crop(tall, 10, 6, 8, out);
  ASSERT_EQ(out.height, 6);
  ASSERT_EQ(out.width, 8);
  for (int64_t y = 0; y < 6; ++y)
    for (int64_t i = 0; i < 24; ++i) ASSERT_EQ(out.row(y)[i], tall.row(7 + y)[3 + i]);
}

TEST(Resize, MatchesDoubleReferenceDownAndUp) {
  struct Case {
    int64_t h, w, shorter, crop_h, crop_w;
  };
  for (const Case& c : {Case{61, 37, 20, 18, 20}, Case{97, 143, 31, 31, 31}, Case{5, 7, 16, 16, 16},
                        Case{300, 200, 64, 64, 64}}) {
    Image in;
    in.resize(c.h, c.w, 3);
    uint32_t state = 12345;
    for (auto& p : in.pixels) {
      state = state * 1664525u + 1013904223u;
      p = static_cast<uint8_t>(state >> 24);
    }
    int64_t rh = 0, rw = 0;
    shorter_side_size(c.h, c.w, c.shorter, rh, rw);
    const std::vector<double> ref = reference_resize(in, rh, rw);
    const int64_t top = (rh - c.crop_h) / 2, left = (rw - c.crop_w) / 2;
    Image out;
    resize_shorter_side_and_center_crop(in, c.shorter, c.crop_h, c.crop_w, out);
    ASSERT_EQ(out.height, c.crop_h);
    ASSERT_EQ(out.width, c.crop_w);
    int64_t off_by_one = 0;
    for (int64_t y = 0; y < c.crop_h; ++y)
      for (int64_t i = 0; i < c.crop_w * 3; ++i) {
        const double r = std::clamp(ref[((top + y) * rw + left) * 3 + i], 0.0, 255.0);
        const int diff = std::abs(out.row(y)[i] - static_cast<int>(std::lround(r)));
        ASSERT_LE(diff, 1) << c.h << "x" << c.w << " at " << y << "," << i;
        off_by_one += diff;  // float vs double at an exact .5
      }
    EXPECT_LE(off_by_one, c.crop_h * c.crop_w * 3 / 100);
  }
}

}  // namespace
}  // namespace convoy
