// Image: an 8-bit picture held as HWC (row-major, channels interleaved), the
// layout decoders produce and docs/data.md's /images stores. ImageView: a read-only
// HWC picture whose pixels live elsewhere (an Image, a cached dataset, a
// decoder's buffer), with rows possibly further apart than width * channels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/error.h"

namespace convoy {

struct Image {
  int64_t height = 0, width = 0, channels = 0;
  std::vector<uint8_t> pixels;  // height * width * channels

  uint8_t* row(int64_t y) { return pixels.data() + y * width * channels; }
  const uint8_t* row(int64_t y) const { return pixels.data() + y * width * channels; }
  void resize(int64_t h, int64_t w, int64_t c) {
    height = h;
    width = w;
    channels = c;
    pixels.resize(static_cast<size_t>(h * w * c));  // keeps capacity: reuse across images
  }
};

struct ImageView {
  const uint8_t* data = nullptr;
  int64_t height = 0, width = 0, channels = 0;
  int64_t row_stride = 0;  // bytes from the start of one row to the next

  ImageView() = default;
  ImageView(const uint8_t* pixels, int64_t h, int64_t w, int64_t c, int64_t stride)
      : data(pixels), height(h), width(w), channels(c), row_stride(stride) {}
  ImageView(const Image& image)  // NOLINT(google-explicit-constructor): every Image is a view
      : ImageView(image.pixels.data(), image.height, image.width, image.channels,
                  image.width * image.channels) {
    CONVOY_CHECK(static_cast<int64_t>(image.pixels.size()) == image.height * image.width * image.channels,
                 "image holds ", image.pixels.size(), " bytes, expected ",
                 image.height * image.width * image.channels);
  }

  ImageView(const Image&&) = delete;  // a view of a temporary would dangle

  const uint8_t* row(int64_t y) const { return data + y * row_stride; }
  // The h x w part starting at (top, left), sharing these pixels.
  ImageView window(int64_t top, int64_t left, int64_t h, int64_t w) const {
    CONVOY_CHECK(top >= 0 && left >= 0 && h >= 0 && w >= 0 && top + h <= height && left + w <= width,
                 "window (", top, ", ", left, ") of ", h, "x", w, " outside a ", height, "x", width,
                 " image");
    return ImageView(row(top) + left * channels, h, w, channels, row_stride);
  }
};

}  // namespace convoy
