#include "core/philox.h"

#include <cmath>
#include <numbers>

#include "core/error.h"
#include "core/philox_block.h"

namespace convoy {

PhiloxCounter philox4x32_10(PhiloxCounter c, PhiloxKey k) {
  const philox::Words out = philox::block(philox::Words{{c[0], c[1], c[2], c[3]}}, k[0], k[1]);
  return {out.w[0], out.w[1], out.w[2], out.w[3]};
}

// Counter layout: {block, tag = purpose << 24 | sub, major, minor}; the key is the seed.
RandomStream::RandomStream(uint64_t seed, RandomPurpose purpose, uint64_t major, uint64_t minor,
                           uint32_t sub)
    : key_{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)},
      major_lo_(static_cast<uint32_t>(major)),
      minor_lo_(static_cast<uint32_t>(minor)),
      purpose_(static_cast<uint32_t>(purpose)),
      sub_(sub) {
  CONVOY_CHECK(major < (uint64_t{1} << 32) && minor < (uint64_t{1} << 32),
               "random stream indices must fit 32 bits, got major=", major, " minor=", minor);
  CONVOY_CHECK(sub < (1u << 24), "random stream sub-index must fit 24 bits, got ", sub);
}

PhiloxCounter RandomStream::counter_for(uint64_t block) const {
  CONVOY_CHECK(block < (uint64_t{1} << 32), "random stream exhausted at block ", block);
  const philox::Words c = philox::counter(static_cast<uint32_t>(block), purpose_, sub_, major_lo_, minor_lo_);
  return {c.w[0], c.w[1], c.w[2], c.w[3]};
}

uint32_t RandomStream::word_at(uint64_t position) const {
  return block_at(position / 4)[position % 4];
}

PhiloxCounter RandomStream::block_at(uint64_t block) const {
  return philox4x32_10(counter_for(block), key_);
}

uint32_t RandomStream::next_word() {
  const uint64_t block = position_ / 4;
  if (block != cached_block_) {
    cached_ = philox4x32_10(counter_for(block), key_);
    cached_block_ = block;
  }
  return cached_[position_++ % 4];
}

double RandomStream::next_uniform_double() {
  const uint64_t hi = next_word() >> 5;  // 27 bits
  const uint64_t lo = next_word() >> 6;  // 26 bits
  return ((hi << 26 | lo) + 0.5) * 0x1p-53;
}

double RandomStream::next_normal() {
  const double u1 = next_uniform_double();
  const double u2 = next_uniform_double();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace convoy
