#include "data_pipeline/pixel_rows.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CONVOY_PIXEL_ROWS_X86 1
#endif

namespace convoy {

PixelAffine normalising_affine(int64_t channels, const double* mean, const double* std, const double* delta) {
  CONVOY_CHECK(channels >= 1 && channels <= 3, "normalisation of ", channels, " channels (1..3 supported)");
  PixelAffine affine;
  for (int64_t c = 0; c < channels; ++c) {
    CONVOY_CHECK(std[c] > 0.0, "channel ", c, " std must be positive, got ", std[c]);
    affine.scale[c] = static_cast<float>(1.0 / (255.0 * std[c]));
    affine.bias[c] = static_cast<float>(((delta ? delta[c] : 0.0) - mean[c]) / std[c]);
  }
  return affine;
}

// Written so that the compiler cannot contract the multiply and the add into
// a fused multiply-add (which would round once instead of twice): this file
// is built with -ffp-contract=off, and the AVX2 code is compiled for "avx2"
// without "fma".
void rgb_row_to_planes_portable(const uint8_t* src, int64_t n, bool mirror, const PixelAffine& affine,
                                float* r, float* g, float* b) {
  const float s0 = affine.scale[0], s1 = affine.scale[1], s2 = affine.scale[2];
  const float b0 = affine.bias[0], b1 = affine.bias[1], b2 = affine.bias[2];
  for (int64_t x = 0; x < n; ++x) {
    const uint8_t* pixel = src + 3 * (mirror ? n - 1 - x : x);
    r[x] = static_cast<float>(pixel[0]) * s0 + b0;
    g[x] = static_cast<float>(pixel[1]) * s1 + b1;
    b[x] = static_cast<float>(pixel[2]) * s2 + b2;
  }
}

void grey_row_to_plane(const uint8_t* src, int64_t n, bool mirror, const PixelAffine& affine, float* out) {
  const float s = affine.scale[0], bias = affine.bias[0];
  if (!mirror) {
    for (int64_t x = 0; x < n; ++x) out[x] = static_cast<float>(src[x]) * s + bias;
  } else {
    for (int64_t x = 0; x < n; ++x) out[x] = static_cast<float>(src[n - 1 - x]) * s + bias;
  }
}

void view_to_bytes(const ImageView& in, uint8_t* out) {
  const int64_t row_bytes = in.width * in.channels;
  for (int64_t y = 0; y < in.height; ++y) std::memcpy(out + y * row_bytes, in.row(y), static_cast<size_t>(row_bytes));
}

void view_to_planes(const ImageView& in, bool mirror, const PixelAffine& affine, float* out) {
  CONVOY_CHECK(in.channels == 1 || in.channels == 3, "images must have 1 or 3 channels, got ", in.channels);
  const int64_t w = in.width, plane = in.height * w;
  if (in.channels == 1 && !mirror && in.row_stride == w)  // contiguous grey (MNIST): one long row
    return grey_row_to_plane(in.data, plane, false, affine, out);
  for (int64_t y = 0; y < in.height; ++y) {
    float* o = out + y * w;
    if (in.channels == 3)
      rgb_row_to_planes(in.row(y), w, mirror, affine, o, o + plane, o + 2 * plane);
    else
      grey_row_to_plane(in.row(y), w, mirror, affine, o);
  }
}

#ifdef CONVOY_PIXEL_ROWS_X86
namespace {

// One channel of eight pixels held in two 16-byte registers, mapped to
// floats: `pick` selects four pixels' bytes from each register, `first`
// filling lanes 0-3 and `second` lanes 4-7.
__attribute__((target("avx2"))) inline __m256 channel_of_eight(__m128i first, __m128i second, __m128i pick,
                                                                __m256 scale, __m256 bias) {
  const __m256i lanes = _mm256_set_m128i(_mm_shuffle_epi8(second, pick), _mm_shuffle_epi8(first, pick));
  return _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(lanes), scale), bias);
}

// Eight pixels per step: two 16-byte loads hold pixels 0-3 and 4-7 (bytes 0-11
// and 12-23, and 4 bytes more), pshufb spreads each channel's bytes into
// 32-bit lanes, which become floats.
__attribute__((target("avx2"))) void rgb_row_to_planes_avx2(const uint8_t* src, int64_t n, bool mirror,
                                                            const PixelAffine& affine, float* r, float* g,
                                                            float* b) {
  const __m128i pick0 = _mm_setr_epi8(0, -1, -1, -1, 3, -1, -1, -1, 6, -1, -1, -1, 9, -1, -1, -1);
  const __m128i pick1 = _mm_setr_epi8(1, -1, -1, -1, 4, -1, -1, -1, 7, -1, -1, -1, 10, -1, -1, -1);
  const __m128i pick2 = _mm_setr_epi8(2, -1, -1, -1, 5, -1, -1, -1, 8, -1, -1, -1, 11, -1, -1, -1);
  // Mirrored: lanes 0-3 take pixels 7..4 and lanes 4-7 pixels 3..0, i.e. the
  // halves swap and each picks its pixels in reverse (no cross-lane permute).
  const __m128i mirror0 = _mm_setr_epi8(9, -1, -1, -1, 6, -1, -1, -1, 3, -1, -1, -1, 0, -1, -1, -1);
  const __m128i mirror1 = _mm_setr_epi8(10, -1, -1, -1, 7, -1, -1, -1, 4, -1, -1, -1, 1, -1, -1, -1);
  const __m128i mirror2 = _mm_setr_epi8(11, -1, -1, -1, 8, -1, -1, -1, 5, -1, -1, -1, 2, -1, -1, -1);
  const __m256 s0 = _mm256_set1_ps(affine.scale[0]), s1 = _mm256_set1_ps(affine.scale[1]),
               s2 = _mm256_set1_ps(affine.scale[2]);
  const __m256 b0 = _mm256_set1_ps(affine.bias[0]), b1 = _mm256_set1_ps(affine.bias[1]),
               b2 = _mm256_set1_ps(affine.bias[2]);
  // Outputs are always written front to back, eight at a time (mirrored rows
  // read their input back to front instead): descending store streams ran
  // at less than half the speed here, as each new cache line waited for memory.
  auto scalar = [&](int64_t x) {
    const uint8_t* pixel = src + 3 * (mirror ? n - 1 - x : x);
    r[x] = static_cast<float>(pixel[0]) * affine.scale[0] + affine.bias[0];
    g[x] = static_cast<float>(pixel[1]) * affine.scale[1] + affine.bias[1];
    b[x] = static_cast<float>(pixel[2]) * affine.scale[2] + affine.bias[2];
  };
  int64_t x = 0;  // output pixel
  // A step reads input pixels q..q+7 and 4 bytes beyond: q + 10 <= n keeps
  // that inside the row. Mirrored, q = n - 8 - x, so the first two outputs
  // are done one at a time.
  if (mirror)
    for (; x < std::min<int64_t>(2, n); ++x) scalar(x);
  for (; x + 8 <= n && (mirror || x + 10 <= n); x += 8) {
    const int64_t q = mirror ? n - 8 - x : x;
    const __m128i low = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 3 * q));
    const __m128i high = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 3 * q + 12));
    if (!mirror) {
      _mm256_storeu_ps(r + x, channel_of_eight(low, high, pick0, s0, b0));
      _mm256_storeu_ps(g + x, channel_of_eight(low, high, pick1, s1, b1));
      _mm256_storeu_ps(b + x, channel_of_eight(low, high, pick2, s2, b2));
    } else {
      _mm256_storeu_ps(r + x, channel_of_eight(high, low, mirror0, s0, b0));
      _mm256_storeu_ps(g + x, channel_of_eight(high, low, mirror1, s1, b1));
      _mm256_storeu_ps(b + x, channel_of_eight(high, low, mirror2, s2, b2));
    }
  }
  for (; x < n; ++x) scalar(x);  // the last pixels, one at a time
}

}  // namespace

bool pixel_rows_use_avx2() {
  static const bool has_avx2 = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return has_avx2;
}

void rgb_row_to_planes(const uint8_t* src, int64_t n, bool mirror, const PixelAffine& affine, float* r,
                       float* g, float* b) {
  if (pixel_rows_use_avx2()) return rgb_row_to_planes_avx2(src, n, mirror, affine, r, g, b);
  rgb_row_to_planes_portable(src, n, mirror, affine, r, g, b);
}
#else
bool pixel_rows_use_avx2() { return false; }

void rgb_row_to_planes(const uint8_t* src, int64_t n, bool mirror, const PixelAffine& affine, float* r,
                       float* g, float* b) {
  rgb_row_to_planes_portable(src, n, mirror, affine, r, g, b);
}
#endif

}  // namespace convoy
