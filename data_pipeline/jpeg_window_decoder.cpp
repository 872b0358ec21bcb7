#include "data_pipeline/jpeg_window_decoder.h"

// jpeglib.h needs size_t and FILE declared first.
#include <cstdio>
#include <csetjmp>
#include <jpeglib.h>
#include <jerror.h>

#include <algorithm>
#include <vector>

#include "core/error.h"

namespace convoy {

// libjpeg reports fatal errors through error_exit, which must not return:
// the libjpeg authors' way out is longjmp back to the caller (example.txt).
// Nothing with a destructor lives between setjmp and the libjpeg calls.
struct JpegWindowDecoder::State {
  struct ErrorManager {
    jpeg_error_mgr pub;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
  };
  jpeg_decompress_struct cinfo{};
  ErrorManager errors{};
  std::vector<JSAMPROW> rows;

  static void on_error(j_common_ptr cinfo) {
    auto* manager = reinterpret_cast<ErrorManager*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, manager->message);
    std::longjmp(manager->jump, 1);
  }
  // A warning (corrupt entropy data, premature end, extraneous bytes before
  // a marker) comes with pixels libjpeg patched up: the image is damaged, and
  // fails like an error. (Levels >= 0 are trace messages.)
  static void on_message(j_common_ptr cinfo, int level) {
    if (level < 0) on_error(cinfo);
  }
};

JpegWindowDecoder::JpegWindowDecoder() : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.cinfo.err = jpeg_std_error(&s.errors.pub);
  s.errors.pub.error_exit = &State::on_error;
  s.errors.pub.emit_message = &State::on_message;
  if (setjmp(s.errors.jump)) {  // out of memory, or a libjpeg of another version
    jpeg_destroy_decompress(&s.cinfo);
    CONVOY_THROW("cannot create a libjpeg decompressor: ", s.errors.message);
  }
  jpeg_create_decompress(&s.cinfo);
}

JpegWindowDecoder::~JpegWindowDecoder() { jpeg_destroy_decompress(&state_->cinfo); }

JpegWindow JpegWindowDecoder::decode(const uint8_t* bytes, size_t size, const std::string& name,
                                     int64_t top, int64_t left, int64_t height, int64_t width,
                                     Image& buffer, const JpegExpectedSize& expected) {
  State& s = *state_;
  jpeg_decompress_struct& cinfo = s.cinfo;
  if (setjmp(s.errors.jump)) {
    jpeg_abort_decompress(&cinfo);
    CONVOY_USER_ERROR("cannot decode JPEG '", name, "' (corrupt or truncated?): ", s.errors.message);
  }
  jpeg_mem_src(&cinfo, bytes, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  JpegWindow result;
  result.image_height = cinfo.image_height;
  result.image_width = cinfo.image_width;
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    jpeg_abort_decompress(&cinfo);
    result.supported = false;
    return result;
  }
  if (expected.height > 0 && (result.image_height != expected.height || result.image_width != expected.width)) {
    jpeg_abort_decompress(&cinfo);
    CONVOY_USER_ERROR("JPEG '", name, "' is ", result.image_height, "x", result.image_width, ", expected ",
                      expected.height, "x", expected.width);
  }
  if (top < 0 || left < 0 || height <= 0 || width <= 0 || top + height > result.image_height ||
      left + width > result.image_width) {
    jpeg_abort_decompress(&cinfo);
    CONVOY_USER_ERROR("window (", top, ", ", left, ") of ", height, "x", width, " is outside the ",
                      result.image_height, "x", result.image_width, " JPEG '", name, "'");
  }
  cinfo.out_color_space = JCS_RGB;
  cinfo.dct_method = JDCT_ISLOW;  // TurboJPEG's and PIL's default: the same pixels as a full decode
  jpeg_start_decompress(&cinfo);
  // Columns: whole iMCUs covering [left, left + width) plus kMargin pixels
  // either side (within the image): fancy upsampling blends each subsampled
  // chroma sample with its neighbour, and at the edge of a decoded region it
  // has none, so the window must not touch a region edge that is not an image
  // edge. jpeg_crop_scanline moves xoffset to an iMCU boundary and widens.
  constexpr int64_t kMargin = 2;
  const int64_t first = std::max<int64_t>(0, left - kMargin);
  const int64_t last = std::min<int64_t>(result.image_width, left + width + kMargin);
  JDIMENSION xoffset = static_cast<JDIMENSION>(first), decoded_width = static_cast<JDIMENSION>(last - first);
  if (decoded_width < cinfo.output_width) jpeg_crop_scanline(&cinfo, &xoffset, &decoded_width);
  else xoffset = 0, decoded_width = cinfo.output_width;
  buffer.resize(height, decoded_width, 3);
  if (top > 0) jpeg_skip_scanlines(&cinfo, static_cast<JDIMENSION>(top));
  s.rows.resize(static_cast<size_t>(height));
  for (int64_t y = 0; y < height; ++y) s.rows[static_cast<size_t>(y)] = buffer.row(y);
  const JDIMENSION end = static_cast<JDIMENSION>(top + height);
  while (cinfo.output_scanline < end) {
    const JDIMENSION done = cinfo.output_scanline - static_cast<JDIMENSION>(top);
    jpeg_read_scanlines(&cinfo, s.rows.data() + done, end - cinfo.output_scanline);
  }
  jpeg_abort_decompress(&cinfo);  // the rows below the window are not needed
  result.pixels = ImageView(buffer).window(0, left - static_cast<int64_t>(xoffset), height, width);
  return result;
}

}  // namespace convoy
