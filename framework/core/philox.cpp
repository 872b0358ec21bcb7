#include "core/philox.h"

#include <cmath>
#include <numbers>

#include "core/error.h"

namespace convoy {

namespace {
constexpr uint32_t kMultiplier0 = 0xD2511F53u;
constexpr uint32_t kMultiplier1 = 0xCD9E8D57u;
constexpr uint32_t kWeyl0 = 0x9E3779B9u;
constexpr uint32_t kWeyl1 = 0xBB67AE85u;

inline void mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  const uint64_t product = uint64_t{a} * b;
  hi = static_cast<uint32_t>(product >> 32);
  lo = static_cast<uint32_t>(product);
}
}  // namespace

PhiloxCounter philox4x32_10(PhiloxCounter c, PhiloxKey k) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k[0] += kWeyl0;
      k[1] += kWeyl1;
    }
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo(kMultiplier0, c[0], hi0, lo0);
    mulhilo(kMultiplier1, c[2], hi1, lo1);
    c = {hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0};
  }
  return c;
}

// Counter layout: {block, tag = purpose << 24 | sub, major, minor}; the key is the seed.
RandomStream::RandomStream(uint64_t seed, RandomPurpose purpose, uint64_t major, uint64_t minor,
                           uint32_t sub)
    : key_{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)},
      major_lo_(static_cast<uint32_t>(major)),
      minor_lo_(static_cast<uint32_t>(minor)),
      tag_((static_cast<uint32_t>(purpose) << 24) | (sub & 0xFFFFFFu)) {
  CONVOY_CHECK(major < (uint64_t{1} << 32) && minor < (uint64_t{1} << 32),
               "random stream indices must fit 32 bits, got major=", major, " minor=", minor);
  CONVOY_CHECK(sub < (1u << 24), "random stream sub-index must fit 24 bits, got ", sub);
}

PhiloxCounter RandomStream::counter_for(uint64_t block) const {
  CONVOY_CHECK(block < (uint64_t{1} << 32), "random stream exhausted at block ", block);
  return {static_cast<uint32_t>(block), tag_, major_lo_, minor_lo_};
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
