// bfloat16 (the top 16 bits of an IEEE float) and float, converted alike on
// the host and in the CUDA kernels: gradients all-reduced in bf16
// (--grad-compression bf16) round to the same words on every device.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define CONVOY_BF16_HOST_DEVICE __host__ __device__
#else
#define CONVOY_BF16_HOST_DEVICE
#endif

namespace convoy {

CONVOY_BF16_HOST_DEVICE inline float bf16_to_float(uint16_t value) {
  const uint32_t bits = uint32_t{value} << 16;
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

// Round to nearest, ties to even; a NaN stays a NaN (never rounds to infinity).
CONVOY_BF16_HOST_DEVICE inline uint16_t float_to_bf16(float f) {
  uint32_t bits;
  memcpy(&bits, &f, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

}  // namespace convoy
