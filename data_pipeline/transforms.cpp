#include "data_pipeline/transforms.h"

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "core/philox.h"
#include "data_pipeline/pixel_rows.h"

namespace convoy {
namespace {

void check_image(const ImageView& in, const TransformOptions& options) {
  CONVOY_CHECK(in.channels == 1 || in.channels == 3, "images must have 1 or 3 channels, got ",
               in.channels);
  CONVOY_CHECK(in.data != nullptr && in.row_stride >= in.width * in.channels,
               "image view without pixels or with rows ", in.row_stride, " bytes apart, under ",
               in.width * in.channels);
  if (options.crop_size <= 0 || options.crop_size > in.height || options.crop_size > in.width)
    CONVOY_USER_ERROR("crop size ", options.crop_size, " does not fit in a ", in.height, "x",
                      in.width, " image");
  if (options.pca != PcaMode::kOff && in.channels != 3)
    CONVOY_USER_ERROR("PCA lighting (--pca ", name_of(options.pca),
                      ") needs 3-channel images, got ", in.channels, " channel(s); use --pca off");
}

// (pixel/255 + delta - mean) / std per channel: the whole per-pixel
// arithmetic after crop and flip, for one image.
PixelAffine channel_affine(int64_t channels, const std::array<double, 3>& delta,
                           const TransformOptions& options) {
  return normalising_affine(channels, options.mean.data(), options.std.data(), delta.data());
}

std::array<double, 3> delta_from(const Eigen3& eigen, const std::array<double, 3>& alpha) {
  std::array<double, 3> delta{};
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 3; ++i) delta[c] += eigen.vectors[c][i] * alpha[i] * eigen.values[i];
  return delta;
}

// Exact integer sums of a crop's pixels per channel and of their products.
struct RgbSums {
  uint64_t sum[3] = {0, 0, 0};
  uint64_t products[6] = {0, 0, 0, 0, 0, 0};  // rr rg rb gg gb bb
};

// Adds one row of `crop` RGB pixels at src to `sums`. The row is read as
// interleaved bytes v in 48-byte chunks (16 pixels), so lane j always holds
// channel j % 3 and plain contiguous loops vectorise: v*v gives the squares,
// v[i]*v[i+1] gives r*g (lane phase 0) and g*b (phase 1), v[i]*v[i+2] gives
// r*b (phase 0); other lanes are discarded.
void add_row_sums(const uint8_t* src, int64_t crop, RgbSums& sums) {
  constexpr int64_t kLanes = 48;
  const int64_t bytes = 3 * crop;
  // 32-bit row sums: at most 65025 * crop, fine while crop < 66,000.
  uint32_t lane_sum[kLanes] = {}, lane_square[kLanes] = {}, lane_next[kLanes] = {}, lane_skip[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes + 2 <= bytes; i += kLanes)  // reads up to src[i + kLanes + 1]
    for (int64_t j = 0; j < kLanes; ++j) {
      const uint32_t v = src[i + j];
      lane_sum[j] += v;
      lane_square[j] += v * v;
      lane_next[j] += v * src[i + j + 1];
      lane_skip[j] += v * src[i + j + 2];
    }
  uint32_t s[3] = {0, 0, 0}, p[6] = {0, 0, 0, 0, 0, 0};  // rr rg rb gg gb bb
  for (int64_t j = 0; j < kLanes; j += 3) {
    for (int c = 0; c < 3; ++c) s[c] += lane_sum[j + c];
    p[0] += lane_square[j];
    p[3] += lane_square[j + 1];
    p[5] += lane_square[j + 2];
    p[1] += lane_next[j];
    p[4] += lane_next[j + 1];
    p[2] += lane_skip[j];
  }
  for (int64_t x = i / 3; x < crop; ++x) {  // the pixels after the last whole chunk
    const uint32_t r = src[3 * x], g = src[3 * x + 1], b = src[3 * x + 2];
    s[0] += r;
    s[1] += g;
    s[2] += b;
    p[0] += r * r;
    p[1] += r * g;
    p[2] += r * b;
    p[3] += g * g;
    p[4] += g * b;
    p[5] += b * b;
  }
  for (int c = 0; c < 3; ++c) sums.sum[c] += s[c];
  for (int k = 0; k < 6; ++k) sums.products[k] += p[k];
}

// docs/data.md (augmentation) steps 1-4 on a crop: the covariance of the per-channel standardised
// pixels is their correlation matrix, computed here from exact integer sums.
Eigen3 crop_eigen(const ImageView& in, int64_t top, int64_t left, int64_t crop) {
  RgbSums sums;
  for (int64_t y = 0; y < crop; ++y) add_row_sums(in.row(top + y) + left * 3, crop, sums);
  const uint64_t* sum = sums.sum;
  const uint64_t* products = sums.products;
  const double n = static_cast<double>(crop * crop);
  auto centred = [&](int i, int j, int k) {  // n^2 * covariance in pixel units, exact
    return static_cast<double>(static_cast<int64_t>(crop * crop) * static_cast<int64_t>(products[k]) -
                               static_cast<int64_t>(sum[i] * sum[j]));
  };
  const double c00 = centred(0, 0, 0), c11 = centred(1, 1, 3), c22 = centred(2, 2, 5);
  const double variance_scale = 1.0 / (n * n * 255.0 * 255.0);  // to [0,1] units
  const bool live[3] = {c00 * variance_scale >= 1e-12, c11 * variance_scale >= 1e-12,
                        c22 * variance_scale >= 1e-12};
  const double diag[3] = {c00, c11, c22};
  const double off[3][3] = {{c00, centred(0, 1, 1), centred(0, 2, 2)},
                            {centred(0, 1, 1), c11, centred(1, 2, 4)},
                            {centred(0, 2, 2), centred(1, 2, 4), c22}};
  Matrix3 correlation{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      if (!live[i] || !live[j]) continue;  // a constant channel standardises to zeros
      correlation[i][j] = i == j ? 1.0 : off[i][j] / std::sqrt(diag[i] * diag[j]);
    }
  return eigen_symmetric3(correlation);
}

void check_window(const ImageView& in, int64_t top, int64_t left, int64_t crop) {
  CONVOY_CHECK(top >= 0 && left >= 0 && top + crop <= in.height && left + crop <= in.width,
               "crop window (", top, ", ", left, ") of size ", crop, " outside a ", in.height, "x",
               in.width, " image");
}

}  // namespace

std::span<const NamedValue<PcaMode>> named_values(PcaMode) {
  static constexpr NamedValue<PcaMode> kNames[] = {
      {PcaMode::kOff, "off"}, {PcaMode::kImage, "image"}, {PcaMode::kDataset, "dataset"}};
  return kNames;
}

AugmentDraw draw_augmentation(uint64_t seed, int64_t epoch, int64_t sample_index,
                              int64_t image_height, int64_t image_width,
                              const TransformOptions& options) {
  if (options.crop_size <= 0 || options.crop_size > image_height || options.crop_size > image_width)
    CONVOY_USER_ERROR("crop size ", options.crop_size, " does not fit in a ", image_height, "x",
                      image_width, " image");
  RandomStream stream(seed, RandomPurpose::kAugmentation, static_cast<uint64_t>(epoch),
                      static_cast<uint64_t>(sample_index));
  // Multiply-shift maps a 32-bit word onto [0, range) (bias < range / 2^32).
  auto pick = [&](int64_t range) {
    return static_cast<int64_t>((uint64_t{stream.next_word()} * static_cast<uint64_t>(range)) >> 32);
  };
  AugmentDraw draw;
  draw.top = pick(image_height - options.crop_size + 1);
  draw.left = pick(image_width - options.crop_size + 1);
  draw.flip = stream.next_uniform() < 0.5f;
  for (double& a : draw.alpha) a = stream.next_normal() * options.pca_sigma;
  if (!options.flip) draw.flip = false;
  if (options.pca == PcaMode::kOff) draw.alpha = {0.0, 0.0, 0.0};
  return draw;
}

std::array<double, 3> lighting_delta(const ImageView& in, const AugmentDraw& draw,
                                     const TransformOptions& options) {
  switch (options.pca) {
    case PcaMode::kOff: return {0.0, 0.0, 0.0};
    case PcaMode::kDataset: return delta_from(options.dataset_pca, draw.alpha);
    case PcaMode::kImage:
      check_image(in, options);
      check_window(in, draw.top, draw.left, options.crop_size);
      return delta_from(crop_eigen(in, draw.top, draw.left, options.crop_size), draw.alpha);
  }
  return {0.0, 0.0, 0.0};
}

PixelAffine train_transform_affine(const ImageView& in, const AugmentDraw& draw, const TransformOptions& options) {
  check_image(in, options);
  check_window(in, draw.top, draw.left, options.crop_size);
  return channel_affine(in.channels, lighting_delta(in, draw, options), options);
}

PixelAffine eval_transform_affine(int64_t channels, const TransformOptions& options) {
  return channel_affine(channels, {0.0, 0.0, 0.0}, options);
}

void apply_train_transform(const ImageView& in, const AugmentDraw& draw,
                           const TransformOptions& options, float* out) {
  const PixelAffine affine = train_transform_affine(in, draw, options);
  const int64_t crop = options.crop_size;
  view_to_planes(in.window(draw.top, draw.left, crop, crop), draw.flip, affine, out);
}

void center_crop_transform(const ImageView& in, const TransformOptions& options, float* out) {
  check_image(in, options);
  const int64_t crop = options.crop_size;
  const PixelAffine affine = eval_transform_affine(in.channels, options);
  view_to_planes(in.window((in.height - crop) / 2, (in.width - crop) / 2, crop, crop), false, affine, out);
}

void ten_crop_transform(const ImageView& in, const TransformOptions& options, float* out) {
  check_image(in, options);
  const int64_t crop = options.crop_size;
  const PixelAffine affine = eval_transform_affine(in.channels, options);
  const int64_t bottom = in.height - crop, right = in.width - crop;
  const int64_t origins[5][2] = {{0, 0}, {0, right}, {bottom, 0}, {bottom, right},
                                 {bottom / 2, right / 2}};
  const int64_t size = in.channels * crop * crop;
  for (int flip = 0; flip < 2; ++flip)
    for (int i = 0; i < 5; ++i)
      view_to_planes(in.window(origins[i][0], origins[i][1], crop, crop), flip == 1, affine,
                     out + (flip * 5 + i) * size);
}

}  // namespace convoy
