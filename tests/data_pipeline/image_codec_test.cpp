#include "data_pipeline/image_codec.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/data_pipeline/image_test_util.h"

namespace convoy {
namespace {

using testing::mean_abs_diff;
using testing::pattern_image;
using testing::TempDir;

using testing::expect_error;

Image decode_file(JpegCodec& codec, const std::string& path) {
  const std::vector<uint8_t> bytes = read_file(path);
  Image out;
  codec.decode(bytes.data(), bytes.size(), path, out);
  return out;
}

TEST(JpegCodec, RgbJpegRoundTrip) {
  JpegCodec codec;
  const Image in = pattern_image(37, 53, 1);
  const std::vector<uint8_t> bytes = codec.encode_jpeg(in, 95);
  ASSERT_TRUE(looks_like_jpeg(bytes.data(), bytes.size()));
  Image out;
  codec.decode(bytes.data(), bytes.size(), "rgb.jpg", out);
  EXPECT_EQ(out.height, 37);
  EXPECT_EQ(out.width, 53);
  EXPECT_EQ(out.channels, 3);
  EXPECT_LT(mean_abs_diff(in, out), 2.0);
}

TEST(JpegCodec, GreyJpegExpandsToRgb) {
  JpegCodec codec;
  const Image grey = pattern_image(20, 30, 2, 1);
  const std::vector<uint8_t> bytes = codec.encode_jpeg(grey, 95);
  Image out;
  codec.decode(bytes.data(), bytes.size(), "grey.jpg", out);
  ASSERT_EQ(out.channels, 3);
  double diff = 0;
  for (int64_t i = 0; i < 20 * 30; ++i) {
    EXPECT_EQ(out.pixels[3 * i], out.pixels[3 * i + 1]);
    EXPECT_EQ(out.pixels[3 * i], out.pixels[3 * i + 2]);
    diff += std::abs(out.pixels[3 * i] - grey.pixels[i]);
  }
  EXPECT_LT(diff / (20 * 30), 2.0);
}

TEST(JpegCodec, AdobeCmykJpegConvertsToRgb) {
  JpegCodec codec;
  const Image in = pattern_image(24, 40, 3);
  const std::vector<uint8_t> bytes = testing::cmyk_jpeg(in, 100);
  Image out;
  codec.decode(bytes.data(), bytes.size(), "cmyk.jpg", out);
  ASSERT_EQ(out.channels, 3);
  ASSERT_EQ(out.width, 40);
  // Inverted storage mishandled would give roughly 255 - in: a difference near 100.
  EXPECT_LT(mean_abs_diff(in, out), 3.0);
}

TEST(JpegCodec, PngColourTypes) {
  TempDir dir;
  JpegCodec codec;
  const Image rgb = pattern_image(9, 13, 4);
  testing::write_png(dir / "rgb.png", rgb.pixels.data(), 9, 13, PNG_FORMAT_RGB);
  EXPECT_EQ(decode_file(codec, dir / "rgb.png").pixels, rgb.pixels);

  const Image grey = pattern_image(9, 13, 5, 1);
  testing::write_png(dir / "grey.png", grey.pixels.data(), 9, 13, PNG_FORMAT_GRAY);
  const Image grey_out = decode_file(codec, dir / "grey.png");
  ASSERT_EQ(grey_out.channels, 3);
  for (int64_t i = 0; i < 9 * 13; ++i)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(grey_out.pixels[3 * i + c], grey.pixels[i]);

  // RGBA: alpha dropped, colour kept (even where transparent).
  Image rgba = pattern_image(9, 13, 6, 4);
  for (int64_t i = 0; i < 9 * 13; ++i) rgba.pixels[4 * i + 3] = static_cast<uint8_t>(i % 2 ? 255 : 0);
  testing::write_png(dir / "rgba.png", rgba.pixels.data(), 9, 13, PNG_FORMAT_RGBA);
  const Image rgba_out = decode_file(codec, dir / "rgba.png");
  for (int64_t i = 0; i < 9 * 13; ++i)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(rgba_out.pixels[3 * i + c], rgba.pixels[4 * i + c]) << i;

  // Grey + alpha.
  Image ga = pattern_image(9, 13, 7, 2);
  for (int64_t i = 0; i < 9 * 13; ++i) ga.pixels[2 * i + 1] = 255;
  testing::write_png(dir / "ga.png", ga.pixels.data(), 9, 13, PNG_FORMAT_GA);
  const Image ga_out = decode_file(codec, dir / "ga.png");
  for (int64_t i = 0; i < 9 * 13; ++i)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(ga_out.pixels[3 * i + c], ga.pixels[2 * i]);

  // Palette: 4 colours.
  const uint8_t colormap[4 * 3] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30};
  std::vector<uint8_t> indices(9 * 13);
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<uint8_t>(i % 4);
  testing::write_png(dir / "palette.png", indices.data(), 9, 13, PNG_FORMAT_RGB_COLORMAP, colormap, 4);
  const Image palette_out = decode_file(codec, dir / "palette.png");
  for (size_t i = 0; i < indices.size(); ++i)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(palette_out.pixels[3 * i + c], colormap[3 * indices[i] + c]);

  // 16 bits per channel: scaled to 8.
  std::vector<uint16_t> wide(9 * 13 * 3);
  for (size_t i = 0; i < wide.size(); ++i) wide[i] = static_cast<uint16_t>(rgb.pixels[i] * 257);
  testing::write_png16(dir / "rgb16.png", wide, 9, 13);
  const Image wide_out = decode_file(codec, dir / "rgb16.png");
  for (size_t i = 0; i < wide.size(); ++i) EXPECT_NEAR(wide_out.pixels[i], rgb.pixels[i], 1) << i;
}

TEST(JpegCodec, BadDataNamesTheInput) {
  TempDir dir;
  JpegCodec codec;
  Image out;
  std::vector<uint8_t> jpeg = codec.encode_jpeg(pattern_image(64, 64, 8), 90);
  jpeg.resize(jpeg.size() * 6 / 10);
  expect_error([&] { codec.decode(jpeg.data(), jpeg.size(), "truncated.jpg", out); }, "truncated.jpg");
  const std::vector<uint8_t> header_only(jpeg.begin(), jpeg.begin() + 20);
  expect_error([&] { codec.decode(header_only.data(), header_only.size(), "short.jpg", out); }, "short.jpg");
  // A failed header read must not spoil the next image (TurboJPEG handles keep state).
  const std::vector<uint8_t> next = codec.encode_jpeg(pattern_image(21, 34, 3), 90);
  codec.decode(next.data(), next.size(), "next.jpg", out);
  EXPECT_EQ(out.height, 21);
  EXPECT_EQ(out.width, 34);
  const std::string text = "this is not an image";
  expect_error([&] { codec.decode(reinterpret_cast<const uint8_t*>(text.data()), text.size(), "notes.txt", out); },
               "notes.txt");
  expect_error([&] { codec.decode(nullptr, 0, "empty.jpg", out); }, "empty.jpg");

  const Image rgb = pattern_image(9, 13, 4);
  testing::write_png(dir / "rgb.png", rgb.pixels.data(), 9, 13, PNG_FORMAT_RGB);
  std::vector<uint8_t> png = read_file(dir / "rgb.png");
  png.resize(png.size() - 30);
  expect_error([&] { codec.decode(png.data(), png.size(), "cut.png", out); }, "cut.png");
  // The codec stays usable after errors.
  const std::vector<uint8_t> good = codec.encode_jpeg(rgb, 90);
  codec.decode(good.data(), good.size(), "good.jpg", out);
  EXPECT_EQ(out.width, 13);
}

TEST(JpegCodec, DamagedJpegsAreRefused) {
  // libjpeg decodes these with a warning and pixels it patched up: damaged.
  JpegCodec codec;
  Image out;
  const std::vector<uint8_t> good = codec.encode_jpeg(pattern_image(96, 96, 5), 90);
  const std::vector<uint8_t> flipped = testing::with_corrupt_entropy_data(good);
  expect_error([&] { codec.decode(flipped.data(), flipped.size(), "flipped.jpg", out); },
               "JPEG 'flipped.jpg' is damaged (libjpeg: Corrupt JPEG data: premature end of data segment)");
  // (Junk after the last block's data, just before the end marker, is seen
  // only where libjpeg reads that far ahead; the pixels are whole either way.)
  const std::vector<uint8_t> junk_in_header = testing::with_extraneous_bytes(good, 0xC4);  // found with the header
  expect_error([&] { codec.decode(junk_in_header.data(), junk_in_header.size(), "header.jpg", out); },
               "'header.jpg' (corrupt or truncated?): Corrupt JPEG data: 3 extraneous bytes before marker 0xc4");
  std::vector<uint8_t> cut = good;
  cut.resize(cut.size() - 40);  // premature end: the bottom rows would be grey
  expect_error([&] { codec.decode(cut.data(), cut.size(), "cut.jpg", out); }, "cut.jpg");
  codec.decode(good.data(), good.size(), "good.jpg", out);  // still usable
  EXPECT_EQ(out.height, 96);
}

TEST(JpegCodec, HugeHeadersAreRefusedBeforeDecoding) {
  TempDir dir;
  JpegCodec codec;
  Image out;
  const std::vector<uint8_t> small_jpeg = codec.encode_jpeg(pattern_image(16, 16, 2), 90);
  const std::vector<uint8_t> jpeg = testing::with_claimed_size(small_jpeg, 60000, 60000);
  expect_error([&] { codec.decode(jpeg.data(), jpeg.size(), "bomb.jpg", out); },
               "'bomb.jpg' claims to be 60000x60000 = 3600000000 pixels, more than the limit of 89478485");
  const std::vector<uint8_t> widest = testing::with_claimed_size(small_jpeg, 65535, 65535);  // libjpeg's own limit
  expect_error([&] { codec.decode(widest.data(), widest.size(), "widest.jpg", out); }, "widest.jpg");
  EXPECT_LT(out.pixels.capacity(), 1000u);  // nothing was allocated for it
  const Image rgb = pattern_image(9, 13, 4);
  testing::write_png(dir / "rgb.png", rgb.pixels.data(), 9, 13, PNG_FORMAT_RGB);
  const std::vector<uint8_t> png = testing::png_with_claimed_size(read_file(dir / "rgb.png"), 65535, 65535);
  expect_error([&] { codec.decode(png.data(), png.size(), "bomb.png", out); }, "more than the limit");
  // The limit is the caller's: 13 x 9 = 117 pixels against 100.
  codec.set_max_pixels(100);
  const std::vector<uint8_t> small = codec.encode_jpeg(rgb, 90);
  expect_error([&] { codec.decode(small.data(), small.size(), "small.jpg", out); }, "more than the limit of 100");
  const std::vector<uint8_t> small_png = read_file(dir / "rgb.png");
  expect_error([&] { codec.decode(small_png.data(), small_png.size(), "small.png", out); }, "more than the limit of 100");
  codec.set_max_pixels(117);
  codec.decode(small.data(), small.size(), "small.jpg", out);
  EXPECT_EQ(out.width, 13);
}

TEST(ReadFile, MissingFileNamesThePath) {
  TempDir dir;
  expect_error([&] { read_file(dir / "nope.jpg"); }, "nope.jpg");
  testing::write_bytes(dir / "three.bin", {1, 2, 3});
  EXPECT_EQ(read_file(dir / "three.bin"), (std::vector<uint8_t>{1, 2, 3}));
}

}  // namespace
}  // namespace convoy
