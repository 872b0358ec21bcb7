// JpegWindowDecoder against the whole-image decode (TurboJPEG, same library
// settings): every window must hold exactly the same pixels.
#include "data_pipeline/jpeg_window_decoder.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "data_pipeline/image_codec.h"
#include "tests/data_pipeline/image_test_util.h"

namespace convoy {
namespace {

using testing::expect_error;
using testing::pattern_image;

// Counts pixels of `window` that differ from the same place in `full`.
int64_t mismatches(const Image& full, const ImageView& window, int64_t top, int64_t left) {
  EXPECT_EQ(window.channels, 3);
  int64_t bad = 0;
  for (int64_t y = 0; y < window.height; ++y)
    for (int64_t x = 0; x < window.width * 3; ++x)
      bad += window.row(y)[x] != full.row(top + y)[left * 3 + x];
  return bad;
}

// Windows at the corners, the edges, the whole image, single pixels and
// random places, for one JPEG.
void expect_windows_match(const std::vector<uint8_t>& jpeg, const std::string& name, int seed) {
  JpegCodec codec;
  Image full;
  codec.decode(jpeg.data(), jpeg.size(), name, full);
  const int64_t h = full.height, w = full.width;
  std::vector<std::array<int64_t, 4>> windows = {
      {0, 0, h, w}, {0, 0, 1, 1}, {h - 1, w - 1, 1, 1}, {0, 0, h / 2, w / 2},
      {h - h / 2, w - w / 2, h / 2, w / 2}, {1, 1, h - 2, w - 2}, {0, w - 1, h, 1}};
  std::mt19937 random(static_cast<unsigned>(seed));
  for (int i = 0; i < 40; ++i) {
    const int64_t wh = 1 + static_cast<int64_t>(random() % static_cast<unsigned>(h));
    const int64_t ww = 1 + static_cast<int64_t>(random() % static_cast<unsigned>(w));
    windows.push_back({static_cast<int64_t>(random() % static_cast<unsigned>(h - wh + 1)),
                       static_cast<int64_t>(random() % static_cast<unsigned>(w - ww + 1)), wh, ww});
  }
  JpegWindowDecoder decoder;
  Image buffer;
  for (const auto& [top, left, wh, ww] : windows) {
    const JpegWindow got = decoder.decode(jpeg.data(), jpeg.size(), name, top, left, wh, ww, buffer);
    ASSERT_TRUE(got.supported);
    EXPECT_EQ(got.image_height, h);
    EXPECT_EQ(got.image_width, w);
    ASSERT_EQ(got.pixels.height, wh);
    ASSERT_EQ(got.pixels.width, ww);
    EXPECT_EQ(mismatches(full, got.pixels, top, left), 0)
        << name << " window (" << top << ", " << left << ") " << wh << "x" << ww;
  }
}

TEST(JpegWindowDecoder, WindowsEqualTheWholeDecodeForEveryChromaLayout) {
  JpegCodec codec;
  // Odd sizes so that windows cut through partial iMCUs at the right and bottom.
  const Image rgb = pattern_image(77, 93, 5);
  expect_windows_match(codec.encode_jpeg(rgb, 90), "420.jpg", 1);
  expect_windows_match(codec.encode_jpeg(rgb, 90, /*full_chroma=*/true), "444.jpg", 2);
  expect_windows_match(codec.encode_jpeg(pattern_image(45, 130, 6, 1), 85), "grey.jpg", 3);
  expect_windows_match(codec.encode_jpeg(pattern_image(256, 256, 7), 90), "256.jpg", 4);
}

// Real photos carry what synthetic ones lack (restart markers, progressive
// scans, 4:2:2, EXIF): the shared ImageNet samples, where present.
TEST(JpegWindowDecoder, RealPhotosMatchTheWholeDecode) {
  const std::filesystem::path folder = std::filesystem::path(CONVOY_SOURCE_DIR) / ".." / "shared" / "data" /
                                       "imagenet-samples";
  if (!std::filesystem::exists(folder)) GTEST_SKIP() << "no " << folder;
  int tested = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
    if (tested == 12) break;
    if (!entry.is_regular_file()) continue;
    const std::vector<uint8_t> bytes = read_file(entry.path().string());
    if (!looks_like_jpeg(bytes.data(), bytes.size())) continue;
    expect_windows_match(bytes, entry.path().string(), tested++);
  }
  EXPECT_EQ(tested, 12);
}

TEST(JpegWindowDecoder, CmykIsLeftToTheWholeImageDecoder) {
  JpegWindowDecoder decoder;
  Image buffer;
  const std::vector<uint8_t> cmyk = testing::cmyk_jpeg(pattern_image(24, 40, 3), 95);
  const JpegWindow got = decoder.decode(cmyk.data(), cmyk.size(), "cmyk.jpg", 0, 0, 8, 8, buffer);
  EXPECT_FALSE(got.supported);
  EXPECT_EQ(got.image_height, 24);
  EXPECT_EQ(got.image_width, 40);
}

TEST(JpegWindowDecoder, BadDataAndBadWindowsNameTheInput) {
  JpegCodec codec;
  JpegWindowDecoder decoder;
  Image buffer;
  std::vector<uint8_t> jpeg = codec.encode_jpeg(pattern_image(64, 64, 8), 90);
  const std::vector<uint8_t> whole = jpeg;
  expect_error([&] { decoder.decode(whole.data(), whole.size(), "a.jpg", 60, 0, 8, 8, buffer); },
               "outside the 64x64 JPEG 'a.jpg'");
  expect_error([&] { decoder.decode(whole.data(), whole.size(), "a.jpg", 0, -1, 8, 8, buffer); }, "a.jpg");
  jpeg.resize(jpeg.size() * 6 / 10);  // the window's rows lie in the missing part
  expect_error([&] { decoder.decode(jpeg.data(), jpeg.size(), "cut.jpg", 56, 0, 8, 64, buffer); },
               "cut.jpg");
  const std::vector<uint8_t> header_only(whole.begin(), whole.begin() + 20);
  expect_error([&] { decoder.decode(header_only.data(), header_only.size(), "short.jpg", 0, 0, 1, 1, buffer); },
               "short.jpg");
  std::vector<uint8_t> garbage = whole;
  for (size_t i = garbage.size() / 2; i < garbage.size() - 2; ++i) garbage[i] = 0xFF;
  // 0xFF runs are fill bytes / bogus markers: libjpeg may warn or fail, never crash or hang.
  try {
    decoder.decode(garbage.data(), garbage.size(), "garbage.jpg", 0, 0, 64, 64, buffer);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("garbage.jpg"), std::string::npos) << e.what();
  }
  // The decoder stays usable after errors.
  const JpegWindow good = decoder.decode(whole.data(), whole.size(), "good.jpg", 3, 5, 10, 20, buffer);
  Image full;
  codec.decode(whole.data(), whole.size(), "good.jpg", full);
  EXPECT_EQ(mismatches(full, good.pixels, 3, 5), 0);
}

}  // namespace
}  // namespace convoy

namespace convoy {
namespace {

TEST(JpegWindowDecoder, DamagedJpegsAreRefused) {
  // Extraneous bytes before a Huffman table: libjpeg warns while reading the
  // header and would decode patched-up pixels.
  JpegCodec codec;
  JpegWindowDecoder decoder;
  Image buffer;
  const std::vector<uint8_t> damaged =
      testing::with_extraneous_bytes(codec.encode_jpeg(pattern_image(32, 32, 4), 90), 0xC4);
  testing::expect_error([&] { decoder.decode(damaged.data(), damaged.size(), "junk.jpg", 0, 0, 8, 8, buffer); },
                        "junk.jpg");
  const std::vector<uint8_t> good = codec.encode_jpeg(pattern_image(32, 32, 4), 90);
  EXPECT_TRUE(decoder.decode(good.data(), good.size(), "good.jpg", 0, 0, 8, 8, buffer).supported);  // still usable
}

}  // namespace
}  // namespace convoy
