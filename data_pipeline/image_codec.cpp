#include "data_pipeline/image_codec.h"

#include <png.h>
#include <turbojpeg.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/error.h"

namespace convoy {

namespace {

// True when the JPEG carries an Adobe APP14 segment: such files (Photoshop,
// libjpeg-turbo) store CMYK inverted (0 = full ink), which is nearly all CMYK JPEGs.
bool has_adobe_marker(const uint8_t* bytes, size_t size) {
  size_t pos = 2;  // after SOI
  while (pos + 4 <= size) {
    if (bytes[pos] != 0xFF) return false;
    const uint8_t marker = bytes[pos + 1];
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) return false;  // start of scan / end: no more headers
    const size_t length = (static_cast<size_t>(bytes[pos + 2]) << 8) | bytes[pos + 3];
    if (marker == 0xEE && length >= 7 && pos + 9 <= size && std::memcmp(bytes + pos + 4, "Adobe", 5) == 0)
      return true;
    pos += 2 + length;
  }
  return false;
}

}  // namespace

bool looks_like_jpeg(const uint8_t* bytes, size_t size) {
  return size >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
}

bool looks_like_png(const uint8_t* bytes, size_t size) {
  static const uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  return size >= 8 && std::memcmp(bytes, kSignature, 8) == 0;
}

JpegCodec::JpegCodec() {
  decompressor_ = tjInitDecompress();
  compressor_ = tjInitCompress();
  if (!decompressor_ || !compressor_) {
    if (decompressor_) tjDestroy(decompressor_);
    if (compressor_) tjDestroy(compressor_);
    CONVOY_THROW("cannot create TurboJPEG handles: ", tjGetErrorStr());
  }
}

JpegCodec::~JpegCodec() {
  if (decompressor_) tjDestroy(decompressor_);
  if (compressor_) tjDestroy(compressor_);
}

namespace {
bool too_many_pixels(int64_t width, int64_t height, int64_t max_pixels) {
  return width > 0 && height > 0 && width > max_pixels / height;
}
}  // namespace

void check_pixel_count(int64_t width, int64_t height, int64_t max_pixels, const std::string& name) {
  if (too_many_pixels(width, height, max_pixels))
    CONVOY_USER_ERROR("'", name, "' claims to be ", width, "x", height, " = ", width * height,
                      " pixels, more than the limit of ", max_pixels, " (--max-pixels; damaged or hostile header?)");
}

void JpegCodec::decode(const uint8_t* bytes, size_t size, const std::string& name, Image& out) {
  if (looks_like_jpeg(bytes, size)) return decode_jpeg(bytes, size, name, out);
  if (looks_like_png(bytes, size)) return decode_png(bytes, size, name, out, max_pixels_);
  CONVOY_USER_ERROR("'", name, "' is not a JPEG or PNG image (", size == 0 ? "empty file" : "unknown signature",
                    ")");
}

// libjpeg's warnings (corrupt entropy data, premature end, extraneous bytes
// before a marker) come with an image it has patched up (grey where data was
// missing, a damaged block): the image is damaged, and fails like an error.
void JpegCodec::check_decoded(int status, const std::string& name) {
  if (status == 0) return;
  const std::string message = tjGetErrorStr2(decompressor_);
  const bool warning = tjGetErrorCode(decompressor_) == TJERR_WARNING;
  reset_decompressor();
  if (warning) CONVOY_USER_ERROR("JPEG '", name, "' is damaged (libjpeg: ", message, ")");
  CONVOY_USER_ERROR("cannot decode JPEG '", name, "' (corrupt or truncated?): ", message);
}

// After a failed header or decode a TurboJPEG 2.x handle can keep stale state
// (the next header read reports a 0x0 image), so errors get a fresh handle.
void JpegCodec::reset_decompressor() {
  tjDestroy(decompressor_);
  decompressor_ = tjInitDecompress();
  if (!decompressor_) CONVOY_THROW("cannot create a TurboJPEG decompressor: ", tjGetErrorStr());
}

void JpegCodec::decode_jpeg(const uint8_t* bytes, size_t size, const std::string& name, Image& out) {
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(decompressor_, bytes, static_cast<unsigned long>(size), &width, &height,
                          &subsampling, &colorspace) != 0) {
    const std::string message = tjGetErrorStr2(decompressor_);
    reset_decompressor();
    CONVOY_USER_ERROR("cannot read the JPEG header of '", name, "' (corrupt or truncated?): ", message);
  }
  if (width <= 0 || height <= 0) {
    reset_decompressor();
    CONVOY_USER_ERROR("cannot read the JPEG header of '", name, "': no image size (corrupt or truncated?)");
  }
  check_pixel_count(width, height, max_pixels_, name);
  const int flags = TJFLAG_ACCURATEDCT;
  out.resize(height, width, 3);
  if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) {
    cmyk_.resize(static_cast<size_t>(width) * height * 4);
    check_decoded(tjDecompress2(decompressor_, bytes, static_cast<unsigned long>(size), cmyk_.data(), width, 0,
                                height, TJPF_CMYK, flags),
                  name);
    // Naive CMYK -> RGB (no colour management), as PIL does: with inverted
    // (Adobe) storage R = C * K / 255, otherwise R = (255 - C) * (255 - K) / 255.
    const bool inverted = has_adobe_marker(bytes, size);
    const size_t pixels = static_cast<size_t>(width) * height;
    uint8_t* rgb = out.pixels.data();
    for (size_t i = 0; i < pixels; ++i) {
      const uint8_t* p = cmyk_.data() + 4 * i;
      const int k = inverted ? p[3] : 255 - p[3];
      for (int c = 0; c < 3; ++c) {
        const int v = inverted ? p[c] : 255 - p[c];
        rgb[3 * i + c] = static_cast<uint8_t>((v * k + 127) / 255);
      }
    }
    return;
  }
  // Greyscale decodes straight to RGB (TurboJPEG replicates the channel).
  check_decoded(tjDecompress2(decompressor_, bytes, static_cast<unsigned long>(size), out.pixels.data(), width,
                              0, height, TJPF_RGB, flags),
                name);
}

void JpegCodec::encode_jpeg(const Image& image, int quality, std::vector<uint8_t>& out, bool full_chroma) {
  CONVOY_CHECK(image.channels == 3 || image.channels == 1, "JPEG encoding takes 1 or 3 channels, got ",
               image.channels);
  CONVOY_CHECK(quality >= 1 && quality <= 100, "JPEG quality must be 1..100, got ", quality);
  const int width = static_cast<int>(image.width), height = static_cast<int>(image.height);
  const int format = image.channels == 3 ? TJPF_RGB : TJPF_GRAY;
  const int subsampling = image.channels == 3 ? (full_chroma ? TJSAMP_444 : TJSAMP_420) : TJSAMP_GRAY;
  // Encode straight into out's storage; TJFLAG_NOREALLOC with the worst-case size.
  out.resize(tjBufSize(width, height, subsampling));
  unsigned char* buffer = out.data();
  unsigned long size = out.size();
  if (tjCompress2(compressor_, image.pixels.data(), width, 0, height, format, &buffer, &size, subsampling,
                  quality, TJFLAG_ACCURATEDCT | TJFLAG_NOREALLOC) != 0)
    CONVOY_THROW("JPEG encoding failed: ", tjGetErrorStr2(compressor_));
  out.resize(size);
}

std::vector<uint8_t> JpegCodec::encode_jpeg(const Image& image, int quality, bool full_chroma) {
  std::vector<uint8_t> out;
  encode_jpeg(image, quality, out, full_chroma);
  return out;
}

namespace {

// libpng reports errors by longjmp; the phases below keep only trivially
// destructible locals between setjmp and any libpng call.
struct PngReader {
  const uint8_t* bytes;
  size_t size;
  size_t pos;
  char message[200];
};

void png_read_from_memory(png_structp png, png_bytep data, png_size_t length) {
  auto* reader = static_cast<PngReader*>(png_get_io_ptr(png));
  if (length > reader->size - reader->pos) png_error(png, "unexpected end of data (truncated file?)");
  std::memcpy(data, reader->bytes + reader->pos, length);
  reader->pos += length;
}

void png_record_error(png_structp png, png_const_charp message) {
  auto* reader = static_cast<PngReader*>(png_get_error_ptr(png));
  std::snprintf(reader->message, sizeof(reader->message), "%s", message);
  png_longjmp(png, 1);
}

void png_ignore_warning(png_structp, png_const_charp) {}

// Reads the header and sets up expansion to 8-bit RGB: palette and low-depth
// grey expanded, 16 bits cut to the high byte and alpha dropped (as PIL's
// convert("RGB") does; no gamma conversion, also as PIL).
bool png_read_header(png_structp png, png_infop info, png_uint_32* width, png_uint_32* height) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_info(png, info);
  const int bit_depth = png_get_bit_depth(png, info);
  const int colour = png_get_color_type(png, info);
  png_set_expand(png);
  if (bit_depth == 16) png_set_strip_16(png);
  if (colour == PNG_COLOR_TYPE_GRAY || colour == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
  png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  *width = png_get_image_width(png, info);
  *height = png_get_image_height(png, info);
  if (png_get_rowbytes(png, info) != static_cast<size_t>(*width) * 3) png_error(png, "unsupported PNG layout");
  return true;
}

bool png_read_pixels(png_structp png, png_infop info, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  png_read_end(png, info);
  return true;
}

}  // namespace

void decode_png(const uint8_t* bytes, size_t size, const std::string& name, Image& out, int64_t max_pixels) {
  PngReader reader{bytes, size, 0, {0}};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, png_record_error, png_ignore_warning);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    CONVOY_THROW("cannot create a libpng reader");
  }
  png_set_read_fn(png, &reader, png_read_from_memory);
  png_uint_32 width = 0, height = 0;
  bool ok = png_read_header(png, info, &width, &height);
  if (ok && (width == 0 || height == 0)) {
    std::snprintf(reader.message, sizeof(reader.message), "empty image");
    ok = false;
  }
  if (ok && too_many_pixels(width, height, max_pixels)) {
    png_destroy_read_struct(&png, &info, nullptr);
    check_pixel_count(width, height, max_pixels, name);
  }
  if (ok) {
    out.resize(height, width, 3);
    std::vector<png_bytep> rows(height);
    for (png_uint_32 y = 0; y < height; ++y) rows[y] = out.row(y);
    ok = png_read_pixels(png, info, rows.data());
  }
  png_destroy_read_struct(&png, &info, nullptr);
  if (!ok) CONVOY_USER_ERROR("cannot decode PNG '", name, "' (corrupt or truncated?): ", reader.message);
}

void read_file(const std::string& path, std::vector<uint8_t>& out) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) CONVOY_USER_ERROR("cannot open '", path, "': ", std::strerror(errno));
  out.clear();
  bool failed = false;
  if (std::fseek(file, 0, SEEK_END) == 0) {
    const long length = std::ftell(file);
    if (length < 0 || std::fseek(file, 0, SEEK_SET) != 0) {
      failed = true;
    } else {
      out.resize(static_cast<size_t>(length));
      if (length > 0 && std::fread(out.data(), 1, out.size(), file) != out.size()) failed = true;
    }
  } else {
    failed = true;
  }
  const int saved = errno;
  std::fclose(file);
  if (failed) CONVOY_USER_ERROR("cannot read '", path, "' (is it a folder or unreadable?): ", std::strerror(saved));
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::vector<uint8_t> out;
  read_file(path, out);
  return out;
}

}  // namespace convoy
