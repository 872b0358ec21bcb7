// The Philox-4x32-10 block function and the counter layout of the keyed
// streams, shared by the host (core/philox.cpp) and the CUDA kernels: a
// dropout mask is the same bits whichever device draws it.
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define CONVOY_HOST_DEVICE __host__ __device__
#else
#define CONVOY_HOST_DEVICE
#endif

namespace convoy::philox {

struct Words {
  uint32_t w[4];
};

CONVOY_HOST_DEVICE inline void mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  const uint64_t product = static_cast<uint64_t>(a) * b;
  hi = static_cast<uint32_t>(product >> 32);
  lo = static_cast<uint32_t>(product);
}

// One Philox-4x32-10 block (Salmon et al. 2011): 4 random words for a counter and key.
CONVOY_HOST_DEVICE inline Words block(Words c, uint32_t key0, uint32_t key1) {
  constexpr uint32_t kMultiplier0 = 0xD2511F53u, kMultiplier1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key0 += kWeyl0;
      key1 += kWeyl1;
    }
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo(kMultiplier0, c.w[0], hi0, lo0);
    mulhilo(kMultiplier1, c.w[2], hi1, lo1);
    c = Words{{hi1 ^ c.w[1] ^ key0, lo1, hi0 ^ c.w[3] ^ key1, lo0}};
  }
  return c;
}

// The counter of block `index` of a keyed stream: {block, purpose << 24 | sub,
// major, minor}; the key is the seed's two halves.
CONVOY_HOST_DEVICE inline Words counter(uint32_t index, uint32_t purpose, uint32_t sub, uint32_t major,
                                        uint32_t minor) {
  return Words{{index, (purpose << 24) | (sub & 0xFFFFFFu), major, minor}};
}

// A uniform float in [0, 1) from a word's top 24 bits.
CONVOY_HOST_DEVICE inline float uniform(uint32_t word) { return static_cast<float>(word >> 8) * 0x1p-24f; }

}  // namespace convoy::philox
