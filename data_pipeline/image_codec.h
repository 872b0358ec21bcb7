// Image decoding (JPEG via TurboJPEG, PNG via libpng) to 8-bit RGB, and JPEG
// encoding. A JpegCodec owns its TurboJPEG handles and is reused across images;
// it is not thread-safe: give each worker thread its own.
#pragma once

#include <cstddef>  // also for image.h, which uses size_t without it
#include <cstdint>
#include <string>
#include <vector>

#include "data_pipeline/image.h"

namespace convoy {

// The most pixels a decoded image may have unless told otherwise: Pillow's
// MAX_IMAGE_PIXELS (89,478,485 pixels, 268 MB of RGB). A header claiming more (a 65535 x 65535 "image" is 4.3
// gigapixels, 12.9 GB) is refused before anything is allocated.
constexpr int64_t kDefaultMaxPixels = 89478485;

class JpegCodec {
 public:
  JpegCodec();
  ~JpegCodec();
  JpegCodec(const JpegCodec&) = delete;
  JpegCodec& operator=(const JpegCodec&) = delete;

  // Decodes a JPEG (greyscale, YCbCr/RGB, CMYK or YCCK; Adobe-inverted CMYK
  // handled) or PNG (any bit depth, palette, grey, alpha; alpha is dropped)
  // into `out` as 3-channel RGB. Throws a user error naming `name` for
  // corrupt, truncated or unsupported data, for a JPEG that libjpeg warns
  // about (corrupt entropy data, premature end, extraneous bytes: it decodes,
  // but with damaged pixels), and for a header claiming more than max_pixels.
  void decode(const uint8_t* bytes, size_t size, const std::string& name, Image& out);
  void set_max_pixels(int64_t max_pixels) { max_pixels_ = max_pixels; }
  int64_t max_pixels() const { return max_pixels_; }
  // Encodes a 3-channel RGB (or 1-channel grey) image at `quality` (1..100) into
  // `out` (its capacity is reused). RGB chroma is subsampled 4:2:0 (smaller, ~15%
  // faster to decode) unless full_chroma (4:4:4: closer to the original).
  void encode_jpeg(const Image& image, int quality, std::vector<uint8_t>& out, bool full_chroma = false);
  std::vector<uint8_t> encode_jpeg(const Image& image, int quality, bool full_chroma = false);

 private:
  void decode_jpeg(const uint8_t* bytes, size_t size, const std::string& name, Image& out);
  void check_decoded(int status, const std::string& name);
  void reset_decompressor();
  void* decompressor_ = nullptr;  // tjhandle
  void* compressor_ = nullptr;    // tjhandle
  std::vector<uint8_t> cmyk_;     // reused CMYK scratch
  int64_t max_pixels_ = kDefaultMaxPixels;
};

// Decodes a PNG into 3-channel RGB (used by JpegCodec::decode; needs no handle).
void decode_png(const uint8_t* bytes, size_t size, const std::string& name, Image& out,
                int64_t max_pixels = kDefaultMaxPixels);

// A user error naming `name` when width x height exceeds max_pixels.
void check_pixel_count(int64_t width, int64_t height, int64_t max_pixels, const std::string& name);

// True when the bytes start with a JPEG or PNG signature.
bool looks_like_jpeg(const uint8_t* bytes, size_t size);
bool looks_like_png(const uint8_t* bytes, size_t size);

// Reads a whole file; a clear user error naming `path` if it cannot.
std::vector<uint8_t> read_file(const std::string& path);
void read_file(const std::string& path, std::vector<uint8_t>& out);  // reuses out's capacity

}  // namespace convoy
