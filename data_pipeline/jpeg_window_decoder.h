// JpegWindowDecoder: decodes just the part of a JPEG that a crop needs, with
// libjpeg-turbo's own partial-decoding API: rows above the window are skipped
// (entropy-decoded only, no IDCT or colour conversion), rows below it are never
// read, and only the iMCU columns covering the window are reconstructed
// (jpeg_crop_scanline). The pixels equal those of a whole-image decode with the
// same settings (accurate integer IDCT, fancy upsampling), which a test checks.
//
// One decoder per thread; it keeps its libjpeg state between images.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "data_pipeline/image.h"

namespace convoy {

struct JpegWindow {
  ImageView pixels;            // the requested window, RGB; empty if !supported
  int64_t image_height = 0;    // size of the whole JPEG
  int64_t image_width = 0;
  bool supported = true;       // false for CMYK/YCCK JPEGs: decode those whole
};

struct JpegExpectedSize {
  int64_t height = 0, width = 0;  // 0: any size
};

class JpegWindowDecoder {
 public:
  JpegWindowDecoder();
  ~JpegWindowDecoder();
  JpegWindowDecoder(const JpegWindowDecoder&) = delete;
  JpegWindowDecoder& operator=(const JpegWindowDecoder&) = delete;

  // The window (top, left, height, width) of the JPEG in `bytes` as 3-channel
  // RGB (greyscale is expanded), decoded into `buffer` (reused). A corrupt
  // JPEG, one truncated above the window's last row, one whose size is not
  // `expected`, or a window outside the image, is a user error naming `name`.
  // (Rows below the window are never read: a file cut off there decodes.)
  JpegWindow decode(const uint8_t* bytes, size_t size, const std::string& name, int64_t top,
                    int64_t left, int64_t height, int64_t width, Image& buffer,
                    const JpegExpectedSize& expected = {});

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace convoy
