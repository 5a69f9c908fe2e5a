// SeqNum: modular 32-bit sequence arithmetic (RFC 9293 §3.4, RFC 1982-style
// comparison).
#include "core/seq_num.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>

namespace synack {
namespace {

constexpr std::uint32_t kMax = 0xffffffffu;

TEST(CoreSeqNum, DefaultIsZeroAndRawRoundTrips) {
  EXPECT_EQ(SeqNum().raw(), 0u);
  EXPECT_EQ(SeqNum(12345).raw(), 12345u);
  EXPECT_EQ(SeqNum(kMax).raw(), kMax);
}

TEST(CoreSeqNum, AdditionWrapsAt2To32) {
  EXPECT_EQ((SeqNum(kMax) + 1).raw(), 0u);
  EXPECT_EQ((SeqNum(kMax - 9) + 20).raw(), 10u);
  EXPECT_EQ((SeqNum(5) - 10).raw(), kMax - 4);
  SeqNum s(kMax - 1);
  s += 3;
  EXPECT_EQ(s.raw(), 1u);
}

TEST(CoreSeqNum, SignedDistanceAcrossWrap) {
  EXPECT_EQ(SeqNum(10) - SeqNum(kMax - 9), 20);
  EXPECT_EQ(SeqNum(kMax - 9) - SeqNum(10), -20);
  EXPECT_EQ(SeqNum(7) - SeqNum(7), 0);
  // The largest representable forward and backward distances.
  EXPECT_EQ(SeqNum(0x7fffffff) - SeqNum(0), INT32_MAX);
  EXPECT_EQ(SeqNum(0x80000000) - SeqNum(0), INT32_MIN);
}

TEST(CoreSeqNum, ComparisonAcrossWrap) {
  SeqNum before(kMax - 5), after(3);  // `after` is 9 bytes later
  EXPECT_TRUE(before < after);
  EXPECT_TRUE(before <= after);
  EXPECT_FALSE(before > after);
  EXPECT_FALSE(before >= after);
  EXPECT_TRUE(after > before);
  EXPECT_TRUE(after >= before);
  EXPECT_FALSE(after < before);
  EXPECT_TRUE(SeqNum(kMax) < SeqNum(0));
  EXPECT_FALSE(SeqNum(0) < SeqNum(kMax));
}

TEST(CoreSeqNum, ComparisonAtHalfSpaceBoundary) {
  // Within 2^31 - 1 forward, "later" is greater.
  EXPECT_TRUE(SeqNum(0x7fffffff) > SeqNum(0));
  EXPECT_TRUE(SeqNum(0x80000000 + 5) > SeqNum(6));
  // Exactly 2^31 apart the distance reads negative: the later one looks smaller.
  EXPECT_TRUE(SeqNum(0x80000000) < SeqNum(0));
}

TEST(CoreSeqNum, EqualityAndReflexiveOrder) {
  SeqNum a(100), b(100), c(101);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_TRUE(a <= b);
  EXPECT_TRUE(a >= b);
  EXPECT_FALSE(a < b);
  EXPECT_FALSE(a > b);
}

TEST(CoreSeqNum, InRangeIsHalfOpen) {
  SeqNum lo(1000), hi(1010);
  EXPECT_TRUE(SeqNum(1000).in_range(lo, hi));
  EXPECT_TRUE(SeqNum(1009).in_range(lo, hi));
  EXPECT_FALSE(SeqNum(1010).in_range(lo, hi));
  EXPECT_FALSE(SeqNum(999).in_range(lo, hi));
}

TEST(CoreSeqNum, InRangeNear2To32) {
  SeqNum lo(kMax - 2), hi(3);  // covers kMax-2 .. 2
  for (std::uint32_t v : {kMax - 2, kMax - 1, kMax, 0u, 1u, 2u})
    EXPECT_TRUE(SeqNum(v).in_range(lo, hi)) << v;
  for (std::uint32_t v : {kMax - 3, 3u, 4u, 0x80000000u})
    EXPECT_FALSE(SeqNum(v).in_range(lo, hi)) << v;
}

TEST(CoreSeqNum, EmptyRangeContainsNothing) {
  for (std::uint32_t x : {0u, 1u, kMax, 0x80000000u}) {
    EXPECT_FALSE(SeqNum(x).in_range(SeqNum(x), SeqNum(x))) << x;
    EXPECT_FALSE(SeqNum(x + 1).in_range(SeqNum(x), SeqNum(x))) << x;
  }
}

TEST(CoreSeqNum, ClosedRangeIncludesBothEnds) {
  SeqNum lo(kMax - 1), hi(1);
  EXPECT_TRUE(SeqNum(kMax - 1).in_closed_range(lo, hi));
  EXPECT_TRUE(SeqNum(kMax).in_closed_range(lo, hi));
  EXPECT_TRUE(SeqNum(0).in_closed_range(lo, hi));
  EXPECT_TRUE(SeqNum(1).in_closed_range(lo, hi));
  EXPECT_FALSE(SeqNum(2).in_closed_range(lo, hi));
  EXPECT_FALSE(SeqNum(kMax - 2).in_closed_range(lo, hi));
  // A degenerate closed range holds exactly its point.
  EXPECT_TRUE(SeqNum(5).in_closed_range(SeqNum(5), SeqNum(5)));
  EXPECT_FALSE(SeqNum(6).in_closed_range(SeqNum(5), SeqNum(5)));
}

TEST(CoreSeqNum, MaxMinAcrossWrap) {
  SeqNum a(kMax - 1), b(4);
  EXPECT_EQ(seq_max(a, b), b);
  EXPECT_EQ(seq_max(b, a), b);
  EXPECT_EQ(seq_min(a, b), a);
  EXPECT_EQ(seq_min(b, a), a);
  EXPECT_EQ(seq_max(a, a), a);
}

TEST(CoreSeqNum, UsableInConstantExpressions) {
  static_assert((SeqNum(0xffffffff) + 2).raw() == 1);
  static_assert(SeqNum(0xffffffff) < SeqNum(1));
  static_assert(SeqNum(0).in_range(SeqNum(0xfffffff0), SeqNum(0x10)));
  static_assert(SeqNum(3) - SeqNum(0xfffffffe) == 5);
  SUCCEED();
}

TEST(CoreSeqNum, RandomisedWindowMembershipMatchesOffsets) {
  // For any base and window below 2^31, x = base + k is in [base, base+win)
  // exactly when k < win, whatever the wrap.
  std::mt19937 rng(20240601);
  for (int i = 0; i < 20000; ++i) {
    std::uint32_t base = rng();
    std::uint32_t win = rng() % 0x7fffffffu;
    std::uint32_t k = rng() % 0x7fffffffu;
    SeqNum lo(base), hi = lo + win, x = lo + k;
    ASSERT_EQ(x.in_range(lo, hi), k < win) << base << " " << win << " " << k;
    ASSERT_EQ(x - lo, static_cast<std::int32_t>(k));
    ASSERT_EQ(x >= lo, true);
    ASSERT_EQ(x.in_closed_range(lo, hi), k <= win);
  }
}

}  // namespace
}  // namespace synack
