#include "data_pipeline/image_resize.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"

namespace convoy {

namespace {

// Taps of a separable triangle filter for output positions [first, first + count)
// of an axis scaled from in_size to out_size. PIL's scheme: on a downscale by
// s the triangle widens to support s (anti-aliasing); weights are normalised.
struct AxisFilter {
  std::vector<int64_t> start;   // first input index per output position
  std::vector<int64_t> taps;    // number of inputs per output position
  std::vector<float> weights;   // max_taps per output position
  int64_t max_taps = 0;

  void build(int64_t in_size, int64_t out_size, int64_t first, int64_t count) {
    const double scale = static_cast<double>(in_size) / static_cast<double>(out_size);
    const double filter_scale = std::max(scale, 1.0);
    const double support = filter_scale;  // triangle support 1, widened
    max_taps = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
    start.assign(static_cast<size_t>(count), 0);
    taps.assign(static_cast<size_t>(count), 0);
    weights.assign(static_cast<size_t>(count * max_taps), 0.0f);
    std::vector<double> w(static_cast<size_t>(max_taps));
    for (int64_t i = 0; i < count; ++i) {
      const double center = (static_cast<double>(first + i) + 0.5) * scale;
      const int64_t lo = std::max<int64_t>(static_cast<int64_t>(center - support + 0.5), 0);
      const int64_t hi = std::min<int64_t>(static_cast<int64_t>(center + support + 0.5), in_size);
      const int64_t n = std::min(hi - lo, max_taps);
      double total = 0.0;
      for (int64_t k = 0; k < n; ++k) {
        const double x = std::abs((static_cast<double>(lo + k) - center + 0.5) / filter_scale);
        w[k] = x < 1.0 ? 1.0 - x : 0.0;
        total += w[k];
      }
      start[i] = lo;
      taps[i] = n;
      for (int64_t k = 0; k < n; ++k)
        weights[i * max_taps + k] = static_cast<float>(total > 0.0 ? w[k] / total : 0.0);
    }
  }
};

// Per-thread scratch, reused across images.
struct ResizeScratch {
  AxisFilter rows, cols;
  std::vector<float> horizontal;  // the needed input rows, already filtered horizontally
  std::vector<float> accumulator;  // one output row
};

inline uint8_t to_uint8(float v) {
  const float r = std::nearbyint(v);
  return static_cast<uint8_t>(r < 0.0f ? 0.0f : (r > 255.0f ? 255.0f : r));
}

// One input row through the horizontal filter: out_w pixels of `channels` floats.
void filter_row(const uint8_t* src, const AxisFilter& cols, int64_t out_w, int64_t channels, float* dst) {
  for (int64_t x = 0; x < out_w; ++x) {
    const float* w = cols.weights.data() + x * cols.max_taps;
    const uint8_t* s = src + cols.start[x] * channels;
    const int64_t n = cols.taps[x];
    if (channels == 3) {
      float r = 0, g = 0, b = 0;
      for (int64_t k = 0; k < n; ++k) {
        r += w[k] * s[3 * k];
        g += w[k] * s[3 * k + 1];
        b += w[k] * s[3 * k + 2];
      }
      dst[3 * x] = r;
      dst[3 * x + 1] = g;
      dst[3 * x + 2] = b;
    } else {
      for (int64_t c = 0; c < channels; ++c) {
        float acc = 0;
        for (int64_t k = 0; k < n; ++k) acc += w[k] * s[k * channels + c];
        dst[x * channels + c] = acc;
      }
    }
  }
}

}  // namespace

void shorter_side_size(int64_t height, int64_t width, int64_t shorter, int64_t& resized_height,
                       int64_t& resized_width) {
  CONVOY_CHECK(height > 0 && width > 0 && shorter > 0, "bad sizes ", height, "x", width, " -> ", shorter);
  if (height <= width) {
    resized_height = shorter;
    resized_width = std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(shorter) * width / height));
  } else {
    resized_width = shorter;
    resized_height = std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(shorter) * height / width));
  }
}

void resize_window(const Image& in, int64_t resized_h, int64_t resized_w, int64_t top, int64_t left,
                   int64_t out_h, int64_t out_w, Image& out) {
  CONVOY_CHECK(in.height > 0 && in.width > 0 && in.channels > 0, "empty input image");
  CONVOY_CHECK(top >= 0 && left >= 0 && top + out_h <= resized_h && left + out_w <= resized_w && out_h > 0 &&
                   out_w > 0,
               "window ", out_h, "x", out_w, " at (", top, ",", left, ") outside ", resized_h, "x", resized_w);
  thread_local ResizeScratch scratch;
  AxisFilter& rows = scratch.rows;
  AxisFilter& cols = scratch.cols;
  rows.build(in.height, resized_h, top, out_h);
  cols.build(in.width, resized_w, left, out_w);
  const int64_t channels = in.channels;

  // Horizontal pass over just the input rows the window needs.
  const int64_t row_lo = rows.start[0];
  const int64_t row_hi = rows.start[out_h - 1] + rows.taps[out_h - 1];
  const int64_t row_stride = out_w * channels;
  scratch.horizontal.resize(static_cast<size_t>((row_hi - row_lo) * row_stride));
  for (int64_t y = row_lo; y < row_hi; ++y)
    filter_row(in.row(y), cols, out_w, channels, scratch.horizontal.data() + (y - row_lo) * row_stride);

  // Vertical pass, rounding once at the end.
  scratch.accumulator.resize(static_cast<size_t>(row_stride));
  out.resize(out_h, out_w, channels);
  for (int64_t y = 0; y < out_h; ++y) {
    const float* w = rows.weights.data() + y * rows.max_taps;
    const float* base = scratch.horizontal.data() + (rows.start[y] - row_lo) * row_stride;
    const int64_t n = rows.taps[y];
    uint8_t* dst = out.row(y);
    float* acc = scratch.accumulator.data();
    std::fill(acc, acc + row_stride, 0.0f);
    for (int64_t k = 0; k < n; ++k) {  // row by row: contiguous, vectorisable
      const float wk = w[k];
      const float* src = base + k * row_stride;
      for (int64_t i = 0; i < row_stride; ++i) acc[i] += wk * src[i];
    }
    for (int64_t i = 0; i < row_stride; ++i) dst[i] = to_uint8(acc[i]);
  }
}

void resize_shorter_side_and_center_crop(const Image& in, int64_t shorter, int64_t out_h, int64_t out_w,
                                         Image& out) {
  CONVOY_CHECK(out_h > 0 && out_w > 0 && out_h <= shorter && out_w <= shorter, "crop ", out_h, "x", out_w,
               " must fit the shorter side ", shorter);
  int64_t resized_h = 0, resized_w = 0;
  shorter_side_size(in.height, in.width, shorter, resized_h, resized_w);
  resize_window(in, resized_h, resized_w, (resized_h - out_h) / 2, (resized_w - out_w) / 2, out_h, out_w, out);
}

}  // namespace convoy
