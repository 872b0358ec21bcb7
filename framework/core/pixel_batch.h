// 8-bit images on their way to the device that normalises them (docs/data.md
// (augmentation), as DALI does it): the loader leaves each sample's crop as
// stored (HWC bytes, not yet mirrored) with the per-channel affine map and the
// mirror flag that turn it into the network's input,
//   out[c][y][x] = float(pixel[y][mirror ? W-1-x : x][c]) * scale[c] + bias[c]
// (a float multiply, then a float add: never fused, so that the host's
// pixel_rows.h and the GPU's kernel give the same bits). The lighting offset
// of PCA augmentation is folded into bias.
#pragma once

#include <cstdint>

#ifdef __CUDACC__
#define CONVOY_HOST_DEVICE __host__ __device__
#else
#define CONVOY_HOST_DEVICE
#endif

namespace convoy {

struct PixelAffine {
  float scale[3] = {1.0f, 1.0f, 1.0f};
  float bias[3] = {0.0f, 0.0f, 0.0f};
};

// One sample's map, 32 bytes, as the GPU kernel reads it.
struct PixelTransform {
  PixelAffine affine;
  uint32_t mirror = 0;  // 1: output x takes input pixel W-1-x
  uint32_t unused = 0;
};
static_assert(sizeof(PixelTransform) == 32, "the GPU kernel reads 32-byte transforms");

// A batch of `count` samples, each height * width * channels bytes (HWC, one
// after another), and their transforms. Memory belongs to whoever made it.
struct PixelBatch {
  const uint8_t* pixels = nullptr;
  const PixelTransform* transforms = nullptr;
  int64_t count = 0, height = 0, width = 0, channels = 0;

  int64_t sample_bytes() const { return height * width * channels; }
  // The first n samples.
  PixelBatch first(int64_t n) const {
    PixelBatch part = *this;
    part.count = n;
    return part;
  }
};

// Where element i of the normalised batch (count, channels, height, width)
// comes from: its sample, its channel, and the byte in the HWC batch. The
// GPU kernel's index arithmetic, shared so that the host can test it.
struct PixelOrigin {
  int64_t sample, channel, byte;
};
CONVOY_HOST_DEVICE inline PixelOrigin pixel_origin(int64_t i, const PixelTransform* transforms, int64_t channels,
                                                   int64_t height, int64_t width) {
  const int64_t x = i % width, y = (i / width) % height, c = (i / (width * height)) % channels;
  const int64_t b = i / (width * height * channels);
  const int64_t from = transforms[b].mirror ? width - 1 - x : x;
  return PixelOrigin{b, c, ((b * height + y) * width + from) * channels + c};
}

}  // namespace convoy
