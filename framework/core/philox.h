// Philox-4x32-10 counter-based generator (Salmon et al. 2011; the one cuRAND
// and PyTorch use), and the keyed streams of the randomness contract (docs/data.md, randomness):
// every draw is a pure function of (seed, purpose, major, minor, sub, position),
// so a sample gets the same randomness whatever thread, rank or device draws it.
#pragma once

#include <array>
#include <cstdint>

namespace convoy {

using PhiloxCounter = std::array<uint32_t, 4>;
using PhiloxKey = std::array<uint32_t, 2>;

// One Philox-4x32-10 block: 4 random 32-bit words for a counter and key.
PhiloxCounter philox4x32_10(PhiloxCounter counter, PhiloxKey key);

// What a stream of draws is for; part of the counter, so purposes never share draws.
enum class RandomPurpose : uint32_t {
  kAugmentation = 1,  // major = epoch, minor = sample index
  kDropout = 2,       // major = step, minor = global sample index, sub = layer
  kShuffle = 3,       // major = epoch
  kInit = 4,          // major = parameter index
  kSynthetic = 5,     // major = sample index (synthetic data sets)
};

// A random-access stream of uniform and normal draws for one key tuple.
class RandomStream {
 public:
  RandomStream(uint64_t seed, RandomPurpose purpose, uint64_t major, uint64_t minor = 0,
               uint32_t sub = 0);

  // The word at a position: a pure function of the key tuple and the position.
  uint32_t word_at(uint64_t position) const;
  // Words 4*block .. 4*block+3 at once (one Philox evaluation).
  PhiloxCounter block_at(uint64_t block) const;
  // Uniform in [0, 1) with 24 random bits.
  float uniform_at(uint64_t position) const { return (word_at(position) >> 8) * 0x1p-24f; }

  // Sequential draws from position 0 on.
  uint32_t next_word();
  float next_uniform() { return (next_word() >> 8) * 0x1p-24f; }
  double next_uniform_double();  // in (0, 1), 53 random bits
  double next_normal();          // standard normal (Box-Muller)

 private:
  PhiloxCounter counter_for(uint64_t block) const;
  PhiloxKey key_;
  uint32_t major_lo_, minor_lo_, purpose_, sub_;
  uint64_t position_ = 0;
  PhiloxCounter cached_{};
  uint64_t cached_block_ = ~uint64_t{0};
};

}  // namespace convoy
