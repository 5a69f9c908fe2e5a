// RateReduction (RFC 6937): the window it gives per ACK during recovery.
#include <gtest/gtest.h>

#include "tcp/rate_reduction.hpp"

using synack::tcp::RateReduction;

namespace {
constexpr std::uint32_t kMss = 1000;
}

// Reno's halving, one segment delivered per ACK, nothing else lost: the
// proportional part sends one segment for every two delivered (RecoverFS =
// 20, ssthresh = 10), so that after a round the window is ssthresh, reached
// by steady sending, not a pause.
TEST(TcpRateReduction, RenoHalvingSendsOneForEveryTwoDelivered) {
  RateReduction prr;
  prr.start(20 * kMss);
  std::uint32_t pipe = 19 * kMss;  // one segment lost, retransmitted below
  prr.on_sent(kMss);               // the fast retransmission
  std::uint32_t sent = 1;
  std::string pattern;
  for (int k = 1; k <= 19; ++k) {
    pipe -= kMss;  // one more segment delivered
    std::uint32_t cwnd = prr.on_ack(kMss, pipe, 10 * kMss, kMss);
    std::uint32_t n = cwnd > pipe ? (cwnd - pipe) / kMss : 0;
    pattern += static_cast<char>('0' + n);
    for (std::uint32_t i = 0; i < n; ++i) {
      prr.on_sent(kMss);
      pipe += kMss;
      ++sent;
    }
  }
  // ACK k may send CEIL(k / 2) - sent, the fast retransmission being the
  // first: ACKs 3, 5, ..., 13. From ACK 15 pipe is at ssthresh (19 - 15 + 6),
  // and each later ACK sends what it delivered.
  EXPECT_EQ(pattern, "0010101010101001111");
  EXPECT_EQ(sent, 11u);
  EXPECT_EQ(pipe, 10 * kMss);
}

// More was lost than the cut (pipe far below ssthresh): the slow-start
// reduction bound lets at most one segment more than was delivered go, so
// the window climbs back toward ssthresh without a burst.
TEST(TcpRateReduction, BelowSsthreshGrowsNoFasterThanSlowStart) {
  RateReduction prr;
  prr.start(20 * kMss);
  std::uint32_t cwnd = prr.on_ack(kMss, 2 * kMss, 10 * kMss, kMss);
  EXPECT_EQ(cwnd, 2 * kMss + 2 * kMss);  // delivered 1 + 1 segment
  prr.on_sent(2 * kMss);
  cwnd = prr.on_ack(2 * kMss, 3 * kMss, 10 * kMss, kMss);
  EXPECT_EQ(cwnd, 3 * kMss + 3 * kMss);  // this ACK's 2 + 1
  prr.on_sent(3 * kMss);
  // Never past ssthresh.
  cwnd = prr.on_ack(8 * kMss, 9 * kMss, 10 * kMss, kMss);
  EXPECT_EQ(cwnd, 10 * kMss);
}

// An ACK that delivers nothing (or whose SACKed bytes were only moved under
// the cumulative ACK) allows nothing new.
TEST(TcpRateReduction, NothingDeliveredNothingSent) {
  RateReduction prr;
  prr.start(10 * kMss);
  prr.on_sent(kMss);
  EXPECT_EQ(prr.on_ack(0, 9 * kMss, 7 * kMss, kMss), 9 * kMss);
}
