// Resizing for the converters: shorter side to a target length with an
// anti-aliased triangle filter (as PIL's BILINEAR resize), then a centre crop.
#pragma once

#include <cstddef>  // before image.h, which uses size_t without it
#include <cstdint>

#include "data_pipeline/image.h"

namespace convoy {

// The size after scaling (height, width) so the shorter side equals `shorter`;
// the longer side is truncated, as torchvision's Resize(int) does (at least 1).
void shorter_side_size(int64_t height, int64_t width, int64_t shorter, int64_t& resized_height,
                       int64_t& resized_width);

// Resizes `in` (any channel count) so its shorter side equals `shorter`, then
// takes the centre out_h x out_w window (top = (resized_h - out_h) / 2, rounded
// down; likewise left). Requires out_h, out_w <= shorter. Only the cropped
// window is computed; filter weights are built once per call per axis, the
// arithmetic is float, results rounded to nearest and clamped to 0..255.
void resize_shorter_side_and_center_crop(const Image& in, int64_t shorter, int64_t out_h, int64_t out_w,
                                         Image& out);

// The general form: the window [top, top + out_h) x [left, left + out_w) of
// `in` resized to resized_h x resized_w.
void resize_window(const Image& in, int64_t resized_h, int64_t resized_w, int64_t top, int64_t left,
                   int64_t out_h, int64_t out_w, Image& out);

}  // namespace convoy
