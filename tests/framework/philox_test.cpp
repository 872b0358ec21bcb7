#include "core/philox.h"

#include <gtest/gtest.h>

#include <cmath>

namespace convoy {
namespace {

// Known-answer vectors of Random123 (kat_vectors, philox4x32_10).
TEST(Philox, MatchesRandom123KnownAnswers) {
  EXPECT_EQ(philox4x32_10({0, 0, 0, 0}, {0, 0}),
            (PhiloxCounter{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}));
  EXPECT_EQ(philox4x32_10({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                          {0xffffffffu, 0xffffffffu}),
            (PhiloxCounter{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}));
  EXPECT_EQ(philox4x32_10({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
                          {0xa4093822u, 0x299f31d0u}),
            (PhiloxCounter{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}));
}

TEST(RandomStream, SequentialDrawsEqualRandomAccess) {
  RandomStream a(42, RandomPurpose::kAugmentation, 3, 17);
  const RandomStream b(42, RandomPurpose::kAugmentation, 3, 17);
  for (uint64_t i = 0; i < 10; ++i) EXPECT_EQ(a.next_word(), b.word_at(i));
}

TEST(RandomStream, KeysSeparateStreams) {
  const RandomStream base(1, RandomPurpose::kDropout, 5, 9, 6);
  EXPECT_NE(base.word_at(0), RandomStream(2, RandomPurpose::kDropout, 5, 9, 6).word_at(0));
  EXPECT_NE(base.word_at(0), RandomStream(1, RandomPurpose::kShuffle, 5, 9, 6).word_at(0));
  EXPECT_NE(base.word_at(0), RandomStream(1, RandomPurpose::kDropout, 6, 9, 6).word_at(0));
  EXPECT_NE(base.word_at(0), RandomStream(1, RandomPurpose::kDropout, 5, 10, 6).word_at(0));
  EXPECT_NE(base.word_at(0), RandomStream(1, RandomPurpose::kDropout, 5, 9, 7).word_at(0));
}

TEST(RandomStream, UniformAndNormalMoments) {
  RandomStream s(7, RandomPurpose::kInit, 0);
  const int n = 200000;
  double sum = 0, sum_sq = 0, usum = 0;
  for (int i = 0; i < n; ++i) {
    const double x = s.next_normal();
    sum += x;
    sum_sq += x * x;
    const float u = s.next_uniform();
    ASSERT_GE(u, 0.0f);
    ASSERT_LT(u, 1.0f);
    usum += u;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(sum_sq / n, 1.0, 0.01);
  EXPECT_NEAR(usum / n, 0.5, 0.005);
}

}  // namespace
}  // namespace convoy
