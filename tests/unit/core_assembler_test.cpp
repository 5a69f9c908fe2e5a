// Assembler: out-of-order byte ranges past the receive point (RFC 9293 §3.10.7.4
// says segments past RCV.NXT may be held for later processing).
#include "core/assembler.hpp"

#include <gtest/gtest.h>

#include <random>
#include <utility>
#include <vector>

namespace synack {
namespace {

using Pairs = std::vector<std::pair<std::size_t, std::size_t>>;

Pairs ranges(const Assembler& a) {
  Pairs out;
  for (const auto& r : a.ranges())
    out.emplace_back(r.start, r.end);
  return out;
}

TEST(CoreAssembler, StartsEmpty) {
  Assembler a;
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(a.range_count(), 0u);
  EXPECT_EQ(a.take_front(), 0u);
}

TEST(CoreAssembler, ZeroLengthAddIsANoOp) {
  Assembler a;
  EXPECT_TRUE(a.add(5, 0));
  EXPECT_TRUE(a.empty());
}

TEST(CoreAssembler, DisjointRangesStaySortedWhateverTheOrder) {
  Assembler a;
  EXPECT_TRUE(a.add(20, 5));
  EXPECT_TRUE(a.add(2, 3));
  EXPECT_TRUE(a.add(10, 4));
  EXPECT_EQ(ranges(a), (Pairs{{2, 5}, {10, 14}, {20, 25}}));
}

TEST(CoreAssembler, AdjacentRangesMerge) {
  Assembler a;
  a.add(10, 5);  // [10,15)
  a.add(15, 5);  // touches on the right
  EXPECT_EQ(ranges(a), (Pairs{{10, 20}}));
  a.add(6, 4);  // touches on the left
  EXPECT_EQ(ranges(a), (Pairs{{6, 20}}));
}

TEST(CoreAssembler, OverlapExtendsRange) {
  Assembler a;
  a.add(10, 10);  // [10,20)
  a.add(15, 10);  // [15,25)
  EXPECT_EQ(ranges(a), (Pairs{{10, 25}}));
  a.add(5, 7);  // [5,12)
  EXPECT_EQ(ranges(a), (Pairs{{5, 25}}));
}

TEST(CoreAssembler, ContainedRangeChangesNothing) {
  Assembler a;
  a.add(10, 10);
  a.add(12, 3);
  a.add(10, 10);
  EXPECT_EQ(ranges(a), (Pairs{{10, 20}}));
}

TEST(CoreAssembler, BridgingRangeMergesSeveral) {
  Assembler a;
  a.add(2, 2);   // [2,4)
  a.add(6, 2);   // [6,8)
  a.add(10, 2);  // [10,12)
  a.add(20, 2);  // [20,22)
  ASSERT_EQ(a.range_count(), 4u);
  a.add(3, 8);  // [3,11) spans the first three
  EXPECT_EQ(ranges(a), (Pairs{{2, 12}, {20, 22}}));
}

TEST(CoreAssembler, GapOfOneByteIsKept) {
  Assembler a;
  a.add(0, 5);
  a.add(6, 5);
  EXPECT_EQ(ranges(a), (Pairs{{0, 5}, {6, 11}}));
}

TEST(CoreAssembler, RefusesNewRangeBeyondLimitAndKeepsState) {
  Assembler a(2);
  EXPECT_TRUE(a.add(10, 2));
  EXPECT_TRUE(a.add(20, 2));
  EXPECT_FALSE(a.add(30, 2));
  EXPECT_EQ(ranges(a), (Pairs{{10, 12}, {20, 22}}));
  // Extending or merging existing ranges needs no new slot.
  EXPECT_TRUE(a.add(12, 3));
  EXPECT_TRUE(a.add(15, 5));  // bridges to [20,22)
  EXPECT_EQ(ranges(a), (Pairs{{10, 22}}));
  EXPECT_TRUE(a.add(40, 1));
  EXPECT_EQ(a.range_count(), 2u);
}

TEST(CoreAssembler, BytesAtTheReceivePointAreNeverRefused) {
  // With every range slot used, the retransmission that fills the front of
  // the first gap must still be taken, or the stream stalls for good.
  Assembler a(2);
  EXPECT_TRUE(a.add(10, 2));
  EXPECT_TRUE(a.add(20, 2));
  EXPECT_TRUE(a.add(0, 2));
  EXPECT_EQ(a.take_front(), 2u);
  EXPECT_EQ(ranges(a), (Pairs{{8, 10}, {18, 20}}));
}

TEST(CoreAssembler, TakeFrontNeedsDataAtOffsetZero) {
  Assembler a;
  a.add(3, 4);
  EXPECT_EQ(a.take_front(), 0u);
  a.add(0, 3);  // fills the gap: [0,7)
  EXPECT_EQ(a.take_front(), 7u);
  EXPECT_TRUE(a.empty());
}

TEST(CoreAssembler, TakeFrontShiftsRemainingRanges) {
  Assembler a;
  a.add(0, 4);
  a.add(10, 5);
  a.add(30, 1);
  EXPECT_EQ(a.take_front(), 4u);
  EXPECT_EQ(ranges(a), (Pairs{{6, 11}, {26, 27}}));
  EXPECT_EQ(a.take_front(), 0u);
}

TEST(CoreAssembler, AdvanceDropsAndTrims) {
  Assembler a;
  a.add(2, 3);    // [2,5)
  a.add(8, 4);    // [8,12)
  a.add(20, 2);   // [20,22)
  a.advance(10);  // in-order data covered bytes [0,10)
  EXPECT_EQ(ranges(a), (Pairs{{0, 2}, {10, 12}}));
  EXPECT_EQ(a.take_front(), 2u);
  EXPECT_EQ(ranges(a), (Pairs{{8, 10}}));
}

TEST(CoreAssembler, AdvanceExactlyToRangeEndDropsIt) {
  Assembler a;
  a.add(4, 4);
  a.advance(8);
  EXPECT_TRUE(a.empty());
}

TEST(CoreAssembler, AdvanceZeroAndClear) {
  Assembler a;
  a.add(4, 4);
  a.advance(0);
  EXPECT_EQ(ranges(a), (Pairs{{4, 8}}));
  a.clear();
  EXPECT_TRUE(a.empty());
}

TEST(CoreAssembler, RandomisedAgainstBitmap) {
  // Model: one bool per byte offset. After every add, the ranges must be the
  // maximal runs of set bits, sorted, disjoint and non-adjacent.
  std::mt19937 rng(99);
  for (int round = 0; round < 200; ++round) {
    Assembler a(1000);
    std::vector<bool> have(256, false);
    for (int step = 0; step < 40; ++step) {
      std::size_t off = rng() % 200, len = rng() % 20;
      ASSERT_TRUE(a.add(off, len));
      for (std::size_t i = off; i < off + len; ++i)
        have[i] = true;
      Pairs want;
      for (std::size_t i = 0; i < have.size(); ++i) {
        if (!have[i]) continue;
        std::size_t j = i;
        while (j < have.size() && have[j])
          ++j;
        want.emplace_back(i, j);
        i = j;
      }
      ASSERT_EQ(ranges(a), want) << "round " << round << " step " << step;
    }
    std::size_t front = 0;
    while (front < have.size() && have[front])
      ++front;
    EXPECT_EQ(a.take_front(), front);
  }
}

TEST(CoreAssembler, AdvanceMatchesABitmapModel) {
  // advance(n) drops the first n bytes of the model: ranges before n vanish,
  // one straddling n is cut, the rest shift down.
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    Assembler a(1000);
    std::vector<bool> have(400, false);
    for (int step = 0; step < 30; ++step) {
      std::size_t off = rng() % 200, len = rng() % 20;
      ASSERT_TRUE(a.add(off, len));
      for (std::size_t i = off; i < off + len; ++i)
        have[i] = true;
      if (rng() % 3 == 0) {
        std::size_t n = rng() % 60;
        a.advance(n);
        have.erase(have.begin(), have.begin() + static_cast<std::ptrdiff_t>(n));
        have.resize(400, false);
      }
      Pairs want;
      for (std::size_t i = 0; i < have.size(); ++i) {
        if (!have[i]) continue;
        std::size_t j = i;
        while (j < have.size() && have[j])
          ++j;
        want.emplace_back(i, j);
        i = j;
      }
      ASSERT_EQ(ranges(a), want) << "round " << round << " step " << step;
    }
  }
}

}  // namespace
}  // namespace synack
