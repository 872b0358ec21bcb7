// Per-image transforms of docs/data.md (augmentation), in its order: crop -> flip -> to float [0,1]
// (pixel/255) -> PCA lighting -> per-channel normalisation ((x-mean)/std) ->
// CHW float into a caller's buffer. Training randomness follows docs/data.md (randomness): one
// Philox stream per (seed, epoch, sample index), so a sample gets the same
// crop, flip and lighting whatever thread, worker or rank transforms it.
//
// Lighting and normalisation are both affine per channel, so every output
// value is float(pixel) * scale[c] + bias[c] (float multiply then add, see
// pixel_rows.h), with scale and bias computed once per image in double:
// within a few float ulps of the exact value. No heap allocation, one pass
// over the crop (plus a statistics pass over the crop in `image` PCA mode).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "core/named_values.h"
#include "core/pixel_batch.h"
#include "data_pipeline/image.h"
#include "data_pipeline/pca.h"

namespace convoy {

enum class PcaMode { kOff, kImage, kDataset };

std::span<const NamedValue<PcaMode>> named_values(PcaMode);  // off | image | dataset

struct TransformOptions {
  int64_t crop_size = 227;  // square crop; equal to the image size means no crop
  bool flip = true;         // random horizontal flip (training only)
  PcaMode pca = PcaMode::kOff;
  double pca_sigma = 0.1;   // alpha ~ N(0, pca_sigma)
  std::array<double, 3> mean{0.0, 0.0, 0.0};  // per channel, [0,1] units (1 channel: [0] only)
  std::array<double, 3> std{1.0, 1.0, 1.0};
  Eigen3 dataset_pca;       // the file's pca_eigval / pca_eigvec, for PcaMode::kDataset
};

// The random choices for one training sample.
struct AugmentDraw {
  int64_t top = 0, left = 0;      // crop window origin in the stored image
  bool flip = false;              // mirror the crop horizontally
  std::array<double, 3> alpha{};  // lighting coefficients (already times sigma)
};

// Draws from RandomStream(seed, kAugmentation, epoch, sample_index), always in
// this order and always all of them, whatever the options: top (one word),
// left (one word), flip (one word, next_uniform() < 0.5), alpha[0], alpha[1],
// alpha[2] (next_normal() * pca_sigma). Disabled choices are then reset
// (flip = false without options.flip, alpha = 0 without lighting), so turning
// one option off leaves the others' draws unchanged.
AugmentDraw draw_augmentation(uint64_t seed, int64_t epoch, int64_t sample_index,
                              int64_t image_height, int64_t image_width,
                              const TransformOptions& options);

// docs/data.md (augmentation) lighting offset delta = P * (alpha .* lambda) for the crop of `in`
// chosen by `draw` (flip does not change it), in [0,1] units; zero for kOff.
// kImage: P, lambda from the crop standardised per channel (population
// variance; below 1e-12 the channel becomes zeros), i.e. its correlation
// matrix. kDataset: P, lambda = options.dataset_pca.
std::array<double, 3> lighting_delta(const ImageView& in, const AugmentDraw& draw,
                                     const TransformOptions& options);

// The training transform with the choices in `draw` (build a draw by hand for
// fixed crops/alphas). Writes channels * crop * crop floats, CHW, to `out`.
void apply_train_transform(const ImageView& in, const AugmentDraw& draw,
                           const TransformOptions& options, float* out);

// The per-channel map apply_train_transform applies to the crop of `in`
// chosen by `draw` after cropping and mirroring: normalisation with the
// draw's lighting folded into the bias (core/pixel_batch.h).
PixelAffine train_transform_affine(const ImageView& in, const AugmentDraw& draw, const TransformOptions& options);
// The map of the evaluation transforms below (normalisation, no lighting).
PixelAffine eval_transform_affine(int64_t channels, const TransformOptions& options);

// Evaluation: the centre window ((H-crop)/2, (W-crop)/2), no flip, no lighting.
void center_crop_transform(const ImageView& in, const TransformOptions& options, float* out);

// AlexNet's 10 crops, each channels * crop * crop floats, one after another:
// top-left, top-right, bottom-left, bottom-right, centre, then the horizontal
// flips of those five in the same order. No lighting.
void ten_crop_transform(const ImageView& in, const TransformOptions& options, float* out);
inline constexpr int64_t kTenCropCount = 10;

}  // namespace convoy
