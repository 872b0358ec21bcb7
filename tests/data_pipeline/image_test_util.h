// Helpers for the image tests: synthetic images and files written with libpng/TurboJPEG.
#pragma once

#include <png.h>
#include <turbojpeg.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "data_pipeline/image.h"
#include "formats/hdf5_file.h"
#include "tests/common/test_support.h"

namespace convoy::testing {

// A smooth colourful pattern (JPEG-friendly, no wrap-around edges), distinct per `seed`,
// with colour (not just brightness) varying across it; values 10..199.
inline Image pattern_image(int64_t height, int64_t width, int seed, int64_t channels = 3) {
  Image image;
  image.resize(height, width, channels);
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x)
      for (int64_t c = 0; c < channels; ++c)
        image.row(y)[x * channels + c] =
            static_cast<uint8_t>(10 + (seed * 7) % 30 +
                                 (c == 0   ? 100 * x / width + 60 * y / height
                                  : c == 1 ? 100 * y / height + 60 * x / width
                                           : 160 * (x + y) / (width + height)));
  return image;
}

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// PNG through libpng's simplified API; format e.g. PNG_FORMAT_RGB, PNG_FORMAT_GRAY, PNG_FORMAT_GA.
inline void write_png(const std::string& path, const uint8_t* pixels, int64_t height, int64_t width,
                      uint32_t format, const void* colormap = nullptr, int colormap_entries = 0) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(width);
  png.height = static_cast<png_uint_32>(height);
  png.format = format;
  png.colormap_entries = static_cast<png_uint_32>(colormap_entries);
  if (!png_image_write_to_file(&png, path.c_str(), 0, pixels, 0, colormap)) std::abort();
}

// A 16-bit RGB PNG (no gamma chunk) via the low-level API; values[i] 0..65535.
inline void write_png16(const std::string& path, const std::vector<uint16_t>& values, int64_t height,
                        int64_t width) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) std::abort();
  png_init_io(png, file);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 16,
               PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  std::vector<uint8_t> row(static_cast<size_t>(width * 6));
  for (int64_t y = 0; y < height; ++y) {
    for (int64_t i = 0; i < width * 3; ++i) {
      const uint16_t v = values[y * width * 3 + i];
      row[2 * i] = static_cast<uint8_t>(v >> 8);  // big-endian
      row[2 * i + 1] = static_cast<uint8_t>(v & 0xFF);
    }
    png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(file);
}

// A CMYK JPEG (libjpeg-turbo writes an Adobe marker and stores CMYK inverted,
// 255 = no ink) of the RGB image, using the inverse of the naive conversion.
inline std::vector<uint8_t> cmyk_jpeg(const Image& rgb, int quality) {
  std::vector<uint8_t> cmyk(static_cast<size_t>(rgb.height * rgb.width * 4));
  for (int64_t i = 0; i < rgb.height * rgb.width; ++i) {
    const uint8_t* p = rgb.pixels.data() + 3 * i;
    const int k = std::max({p[0], p[1], p[2]});  // inverted K: 255 - black ink
    for (int c = 0; c < 3; ++c) cmyk[4 * i + c] = static_cast<uint8_t>(k == 0 ? 0 : (p[c] * 255 + k / 2) / k);
    cmyk[4 * i + 3] = static_cast<uint8_t>(k);
  }
  tjhandle handle = tjInitCompress();
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  if (tjCompress2(handle, cmyk.data(), static_cast<int>(rgb.width), 0, static_cast<int>(rgb.height), TJPF_CMYK,
                  &buffer, &size, TJSAMP_444, quality, 0) != 0)
    std::abort();
  std::vector<uint8_t> out(buffer, buffer + size);
  tjFree(buffer);
  tjDestroy(handle);
  return out;
}

inline double mean_abs_diff(const Image& a, const Image& b) {
  double total = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) total += std::abs(int(a.pixels[i]) - int(b.pixels[i]));
  return total / static_cast<double>(a.pixels.size());
}

// Damaged and hostile variants of a valid file, as found in the wild.

// Junk bytes just before the first marker `marker` (e.g. 0xC4, a Huffman
// table; 0xD9, the end): libjpeg warns "N extraneous bytes before marker".
inline std::vector<uint8_t> with_extraneous_bytes(std::vector<uint8_t> jpeg, uint8_t marker) {
  size_t at = 0;
  if (marker == 0xD9) {
    at = jpeg.size() - 2;  // the end-of-image marker closes the file
  } else {
    // Walk the header's segments (their payloads may hold any bytes).
    for (size_t i = 2; i + 3 < jpeg.size() && jpeg[i] == 0xFF && jpeg[i + 1] != 0xDA;
         i += 2 + ((static_cast<size_t>(jpeg[i + 2]) << 8) | jpeg[i + 3]))
      if (jpeg[i + 1] == marker) {
        at = i;
        break;
      }
  }
  if (at == 0 || jpeg[at] != 0xFF || jpeg[at + 1] != marker) throw std::runtime_error("no such marker");
  jpeg.insert(jpeg.begin() + static_cast<std::ptrdiff_t>(at), {0x12, 0x34, 0x56});
  return jpeg;
}

// Bytes in the middle of the entropy-coded data flipped: libjpeg warns
// (corrupt data, extraneous bytes before the end) and fills in what it can.
inline std::vector<uint8_t> with_corrupt_entropy_data(std::vector<uint8_t> jpeg) {
  for (size_t i = 2; i + 3 < jpeg.size() && jpeg[i] == 0xFF;) {
    const size_t length = (static_cast<size_t>(jpeg[i + 2]) << 8) | jpeg[i + 3];
    if (jpeg[i + 1] == 0xDA) {
      const size_t data = i + 2 + length;
      for (size_t k = 0; k < 30 && data + 10 + k < jpeg.size() - 2; ++k) jpeg[data + 10 + k] ^= 0x5A;
      return jpeg;
    }
    i += 2 + length;
  }
  throw std::runtime_error("no scan");
}

// The frame header (SOF0..SOF2) rewritten to claim height x width.
inline std::vector<uint8_t> with_claimed_size(std::vector<uint8_t> jpeg, uint16_t height, uint16_t width) {
  for (size_t i = 2; i + 8 < jpeg.size(); ++i)
    if (jpeg[i] == 0xFF && jpeg[i + 1] >= 0xC0 && jpeg[i + 1] <= 0xC2) {
      jpeg[i + 5] = static_cast<uint8_t>(height >> 8), jpeg[i + 6] = static_cast<uint8_t>(height);
      jpeg[i + 7] = static_cast<uint8_t>(width >> 8), jpeg[i + 8] = static_cast<uint8_t>(width);
      return jpeg;
    }
  throw std::runtime_error("no frame header");
}

// A PNG whose IHDR claims width x height, with a valid CRC (so libpng reads it).
inline std::vector<uint8_t> png_with_claimed_size(std::vector<uint8_t> png, uint32_t width, uint32_t height) {
  auto put32 = [&](size_t at, uint32_t v) {
    for (int k = 0; k < 4; ++k) png[at + static_cast<size_t>(k)] = static_cast<uint8_t>(v >> (24 - 8 * k));
  };
  put32(16, width);  // signature (8), length (4), "IHDR" (4)
  put32(20, height);
  uint32_t crc = 0xFFFFFFFFu;  // CRC-32 of "IHDR" and its 13 data bytes
  for (size_t i = 12; i < 12 + 4 + 13; ++i) {
    crc ^= png[i];
    for (int b = 0; b < 8; ++b) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  put32(29, ~crc);
  return png;
}

// The two layouts of a JPEG set's encoded images (data_pipeline/encoded_images.h).
enum class JpegLayout { kFlat, kVariableLength };

// Writes `entries` as a JPEG set's images in `layout`, with libhdf5's own calls.
inline void write_encoded_images(Hdf5File& file, const std::vector<std::vector<uint8_t>>& entries,
                                 JpegLayout layout) {
  const auto n = static_cast<int64_t>(entries.size());
  if (layout == JpegLayout::kVariableLength) {
    file.create_vlen_uint8("/jpeg", n, 64);
    for (int64_t i = 0; i < n; ++i)
      file.write_vlen_uint8("/jpeg", i, entries[static_cast<size_t>(i)].data(), entries[static_cast<size_t>(i)].size());
    return;
  }
  std::vector<int64_t> offsets{0};
  std::vector<uint8_t> bytes;
  for (const auto& e : entries) {
    bytes.insert(bytes.end(), e.begin(), e.end());
    offsets.push_back(static_cast<int64_t>(bytes.size()));
  }
  file.create_contiguous_bytes("/jpeg_bytes", static_cast<int64_t>(bytes.size()));
  file.write_rows("/jpeg_bytes", 0, static_cast<int64_t>(bytes.size()), bytes.data());
  file.write("/jpeg_offsets", Shape{n + 1}, offsets.data());
}

}  // namespace convoy::testing
