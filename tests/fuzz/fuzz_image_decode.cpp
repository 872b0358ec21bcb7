// JPEG and PNG decoding (TurboJPEG, libpng) and the libjpeg window decoder,
// from hostile bytes. The first 4 bytes choose the window (its top, left,
// height and width as fractions of the image); the rest is the file.
#include "data_pipeline/image_codec.h"
#include "data_pipeline/jpeg_window_decoder.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  static convoy::JpegCodec codec;  // reused, as a worker reuses its own
  static convoy::JpegWindowDecoder window_decoder;
  static convoy::Image whole, buffer;
  codec.set_max_pixels(1 << 22);  // keep the fuzzer's memory small; the check itself is what is tested
  const uint8_t* bytes = data + 4;
  const size_t count = size - 4;
  convoy::fuzz::expect_only_user_errors([&] {
    codec.decode(bytes, count, "fuzz input", whole);
    if (whole.channels != 3 || whole.pixels.size() != static_cast<size_t>(whole.height * whole.width * 3)) std::abort();
  });
  if (!convoy::looks_like_jpeg(bytes, count)) return 0;
  convoy::fuzz::expect_only_user_errors([&] {
    // The window from the header's size where the whole decode failed too.
    const int64_t h = whole.height > 0 ? whole.height : 64, w = whole.width > 0 ? whole.width : 64;
    const int64_t top = h * data[0] / 256, left = w * data[1] / 256;
    const int64_t height = 1 + (h - top - 1) * data[2] / 255, width = 1 + (w - left - 1) * data[3] / 255;
    const convoy::JpegWindow window = window_decoder.decode(bytes, count, "fuzz input", top, left, height, width, buffer);
    if (window.supported && (window.pixels.height != height || window.pixels.width != width)) std::abort();
  });
  return 0;
}
