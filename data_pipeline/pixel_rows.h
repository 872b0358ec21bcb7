// The innermost loop of every image transform: one row of interleaved 8-bit
// pixels to float planes, value = float(pixel) * scale[c] + bias[c] (a float
// multiply, then a float add: never fused, so that every code path and every
// machine gives the same bits). Optionally mirrored: output x takes input
// pixel n-1-x. An AVX2 version is chosen at run time where the CPU has it;
// the portable version is the reference it is tested against.
#pragma once

#include <cstdint>

#include "core/pixel_batch.h"  // PixelAffine
#include "data_pipeline/image.h"

namespace convoy {

// Normalisation with an optional per-channel offset (PCA lighting), from
// [0,1] units: value = (pixel/255 + delta[c] - mean[c]) / std[c], i.e.
// scale = 1/(255 std) and bias = (delta - mean)/std, computed in double and
// rounded to float. std must be positive; channels is 1..3.
PixelAffine normalising_affine(int64_t channels, const double* mean, const double* std,
                               const double* delta = nullptr);

// n RGB pixels (3n bytes at src) to r[0..n), g[0..n), b[0..n).
void rgb_row_to_planes(const uint8_t* src, int64_t n, bool mirror, const PixelAffine& affine, float* r,
                       float* g, float* b);
// n grey pixels to out[0..n), channel 0's scale and bias.
void grey_row_to_plane(const uint8_t* src, int64_t n, bool mirror, const PixelAffine& affine, float* out);

// A whole 1- or 3-channel view, optionally mirrored, into CHW float planes
// (channels * height * width floats at out), row by row with the kernels above.
void view_to_planes(const ImageView& in, bool mirror, const PixelAffine& affine, float* out);

// A view's rows, one after another, as plain HWC bytes (height * width *
// channels at out): the pixel form of a crop (core/pixel_batch.h).
void view_to_bytes(const ImageView& in, uint8_t* out);

// The portable reference of rgb_row_to_planes (also its fallback).
void rgb_row_to_planes_portable(const uint8_t* src, int64_t n, bool mirror, const PixelAffine& affine,
                                float* r, float* g, float* b);
// Whether rgb_row_to_planes runs the AVX2 version on this machine.
bool pixel_rows_use_avx2();

}  // namespace convoy
