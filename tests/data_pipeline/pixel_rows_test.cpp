// The row kernel: the dispatched (AVX2 where available) version gives exactly
// the bits of the portable one, for every length and both directions, and the
// portable one matches double arithmetic. The GPU's normalising kernel reads
// its pixels where the host's rows do (its index arithmetic, run here).
#include "data_pipeline/pixel_rows.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace convoy {
namespace {

TEST(PixelRows, DispatchedKernelMatchesThePortableOneBitForBit) {
  if (!pixel_rows_use_avx2()) GTEST_SKIP() << "this CPU has no AVX2: only the portable kernel runs";
  std::mt19937 random(11);
  PixelAffine affine;
  for (int c = 0; c < 3; ++c) {
    affine.scale[c] = static_cast<float>(1.0 / (255.0 * (0.2 + 0.01 * c)));
    affine.bias[c] = static_cast<float>(-0.45 / (0.2 + 0.01 * c) + 0.013 * c);
  }
  for (int64_t n = 1; n <= 300; ++n)
    for (bool mirror : {false, true}) {
      // Exactly 3n bytes (reading past the row would show under ASan/valgrind).
      std::vector<uint8_t> row(static_cast<size_t>(3 * n));
      for (uint8_t& v : row) v = static_cast<uint8_t>(random());
      std::vector<float> fast(static_cast<size_t>(3 * n), NAN), portable(static_cast<size_t>(3 * n), NAN);
      rgb_row_to_planes(row.data(), n, mirror, affine, fast.data(), fast.data() + n, fast.data() + 2 * n);
      rgb_row_to_planes_portable(row.data(), n, mirror, affine, portable.data(), portable.data() + n,
                                 portable.data() + 2 * n);
      ASSERT_EQ(std::memcmp(fast.data(), portable.data(), fast.size() * sizeof(float)), 0)
          << "n " << n << " mirror " << mirror;
      for (int64_t x = 0; x < n; ++x)
        for (int c = 0; c < 3; ++c) {
          const int64_t source = mirror ? n - 1 - x : x;
          const double exact = row[static_cast<size_t>(3 * source + c)] * static_cast<double>(affine.scale[c]) +
                               static_cast<double>(affine.bias[c]);
          ASSERT_NEAR(portable[static_cast<size_t>(c * n + x)], exact, 1e-6) << "n " << n << " x " << x;
        }
    }
}

TEST(PixelRows, GreyRowsMapAndMirror) {
  PixelAffine affine;
  affine.scale[0] = 0.5f;
  affine.bias[0] = -1.0f;
  const std::vector<uint8_t> row = {0, 2, 4, 10, 255};
  std::vector<float> out(5);
  grey_row_to_plane(row.data(), 5, false, affine, out.data());
  EXPECT_EQ(out, (std::vector<float>{-1.0f, 0.0f, 1.0f, 4.0f, 126.5f}));
  grey_row_to_plane(row.data(), 5, true, affine, out.data());
  EXPECT_EQ(out, (std::vector<float>{126.5f, 4.0f, 1.0f, 0.0f, -1.0f}));
}

// pixel_origin() is the GPU kernel's index arithmetic: element i of the
// (count, channels, height, width) output, mapped with a product and a sum
// rounded apart, must equal the host's rows of every sample, mirrored or not.
TEST(PixelOrigin, TheGpuKernelsIndexArithmeticReadsWhatTheHostsRowsRead) {
  std::mt19937 random(12);
  for (int64_t channels : {1, 3}) {
    const int64_t count = 4, height = 5, width = 9, per = height * width * channels;
    std::vector<uint8_t> bytes(static_cast<size_t>(count * per));
    for (uint8_t& v : bytes) v = static_cast<uint8_t>(random());
    std::vector<PixelTransform> maps(count);
    for (int64_t b = 0; b < count; ++b) {
      maps[b].mirror = static_cast<uint32_t>(b % 2);
      for (int c = 0; c < 3; ++c) {
        maps[b].affine.scale[c] = static_cast<float>(1.0 / (255.0 * (0.2 + 0.03 * c + 0.01 * b)));
        maps[b].affine.bias[c] = static_cast<float>(-0.4 - 0.1 * c + 0.05 * b);
      }
    }
    std::vector<float> host(static_cast<size_t>(count * per));
    for (int64_t b = 0; b < count; ++b)
      view_to_planes(ImageView(bytes.data() + b * per, height, width, channels, width * channels), maps[b].mirror != 0,
                     maps[b].affine, host.data() + b * per);
    for (int64_t i = 0; i < count * per; ++i) {
      const PixelOrigin origin = pixel_origin(i, maps.data(), channels, height, width);
      ASSERT_EQ(origin.sample, i / per);
      const PixelAffine& map = maps[static_cast<size_t>(origin.sample)].affine;
      const volatile float product = static_cast<float>(bytes[static_cast<size_t>(origin.byte)]) * map.scale[origin.channel];
      ASSERT_EQ(product + map.bias[origin.channel], host[static_cast<size_t>(i)])
          << channels << " channel(s), element " << i;
    }
  }
}

}  // namespace
}  // namespace convoy
