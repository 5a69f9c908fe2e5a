// SackScoreboard: merging SACK blocks, D-SACK recognition (RFC 2883 §4),
// IsLost and NextSeg (RFC 6675 §4) on hand-made scoreboards.
#include <gtest/gtest.h>

#include "tcp/sack_scoreboard.hpp"

using namespace synack;
using namespace synack::tcp;

namespace {
constexpr std::uint32_t kMss = 1000;
const SeqNum kUna(10'000);
const SeqNum kMax(20'000);
wire::SackBlock blk(std::uint32_t a, std::uint32_t b) {
  return {a, b};
}
}  // namespace

TEST(TcpSackScoreboard, BlocksMergeAndOnlyNewBytesCount) {
  SackScoreboard sb;
  wire::SackBlock b1[] = {blk(12'000, 13'000)};
  EXPECT_EQ(sb.update(kUna, kMax, b1).newly_sacked, 1000u);
  wire::SackBlock b2[] = {blk(12'500, 14'000), blk(16'000, 17'000)};
  auto u = sb.update(kUna, kMax, b2);
  EXPECT_EQ(u.newly_sacked, 2000u);  // 13'000-14'000 and 16'000-17'000
  EXPECT_EQ(*u.lowest_new, SeqNum(13'000));
  ASSERT_EQ(sb.ranges().size(), 2u);
  EXPECT_EQ(sb.ranges()[0].start, SeqNum(12'000));
  EXPECT_EQ(sb.ranges()[0].end, SeqNum(14'000));
  EXPECT_EQ(sb.sacked_bytes(), 3000u);
  EXPECT_EQ(sb.high_sacked(kUna), SeqNum(17'000));
  sb.advance(SeqNum(13'000));  // the cumulative ACK covers part of a block
  EXPECT_EQ(sb.sacked_bytes(), 2000u);
  EXPECT_EQ(sb.ranges()[0].start, SeqNum(13'000));
}

TEST(TcpSackScoreboard, FirstBlockBelowTheAckOrInsideTheSecondIsDsack) {
  SackScoreboard sb;
  wire::SackBlock below[] = {blk(9'000, 9'500)};
  auto u = sb.update(kUna, kMax, below);
  EXPECT_TRUE(u.dsack);
  EXPECT_EQ(u.newly_sacked, 0u);
  wire::SackBlock inside[] = {blk(15'000, 15'500), blk(14'000, 16'000)};
  u = sb.update(kUna, kMax, inside);
  EXPECT_TRUE(u.dsack);
  EXPECT_EQ(u.newly_sacked, 2000u);                   // the second block still counts
  wire::SackBlock outside[] = {blk(21'000, 22'000)};  // beyond what was sent
  EXPECT_EQ(sb.update(kUna, kMax, outside).newly_sacked, 0u);
}

TEST(TcpSackScoreboard, IsLostNeedsThreeRangesOrMoreThanTwoSegmentsAbove) {
  SackScoreboard sb;
  wire::SackBlock two[] = {blk(11'000, 13'000)};
  sb.update(kUna, kMax, two);
  EXPECT_FALSE(sb.is_lost(kUna, kMss));  // exactly 2 SMSS above: not more
  wire::SackBlock more[] = {blk(11'000, 13'001)};
  sb.update(kUna, kMax, more);
  EXPECT_TRUE(sb.is_lost(kUna, kMss));
  SackScoreboard holes;
  wire::SackBlock three[] = {blk(11'000, 11'100), blk(12'000, 12'100), blk(13'000, 13'100)};
  holes.update(kUna, kMax, three);
  EXPECT_TRUE(holes.is_lost(kUna, kMss));                    // three discontiguous ranges
  EXPECT_FALSE(holes.is_lost(SeqNum(11'500), kMss));         // only two above
  EXPECT_FALSE(holes.is_lost(kUna, kMss, /*dupthresh=*/4));  // reordering raised it
}

TEST(TcpSackScoreboard, NextLostHoleAndLostBytes) {
  SackScoreboard sb;
  wire::SackBlock b[] = {blk(12'000, 13'000), blk(14'000, 18'000)};
  sb.update(kUna, kMax, b);
  auto h = sb.next_lost_hole(kUna, kMss);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->start, kUna);
  EXPECT_EQ(h->end, SeqNum(12'000));
  h = sb.next_lost_hole(SeqNum(12'000), kMss);  // from HighRxt: skips the SACKed block
  ASSERT_TRUE(h);
  EXPECT_EQ(h->start, SeqNum(13'000));
  EXPECT_EQ(h->end, SeqNum(14'000));
  EXPECT_FALSE(sb.next_lost_hole(SeqNum(14'000), kMss));
  EXPECT_EQ(sb.lost_bytes_between(kUna, kMax, kMss), 3000u);
  EXPECT_EQ(sb.skip_sacked(SeqNum(14'500)), SeqNum(18'000));
  EXPECT_TRUE(sb.is_sacked(SeqNum(12'000)));
  EXPECT_FALSE(sb.is_sacked(SeqNum(13'000)));
}
