// Image: an 8-bit picture held as HWC (row-major, channels interleaved), the
// layout decoders produce and SPEC §8's /images stores.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

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

}  // namespace convoy
