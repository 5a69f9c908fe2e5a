// Without SACK: fast retransmit on the third duplicate ACK and NewReno's
// partial-ACK rule (RFC 6582 §3.2), with Reno's window (RFC 5681 §3.2).
#include <gtest/gtest.h>

#include "support/negotiated_open.hpp"

using namespace synack;
using namespace synack::testing;
using namespace std::chrono_literals;

namespace {
constexpr std::uint32_t kMss = 1460;
}

TEST(ScriptNewReno, ThirdDuplicateAckRetransmitsAndPartialAckRetransmitsTheNextHole) {
  tcp::TcpConfig cfg;
  cfg.congestion = tcp::CongestionAlgorithm::NewReno;
  SegmentScript s(cfg);
  auto l = s.listen();
  auto c = open_negotiated(s, l, {.sack = false});
  EXPECT_FALSE(c.info().sack);
  EXPECT_EQ(c.info().congestion, "reno");
  const std::uint32_t base = send_full_segments(s, c, 10, kMss);
  s.run_until(50ms);
  // Segments 0 and 3 lost. Two duplicate ACKs: nothing (and no new data
  // queued for limited transmit).
  s.inject(Seg::make(ACK, 1001, base));
  s.inject(Seg::make(ACK, 1001, base));
  s.expect_silence_until(60ms);
  s.inject(Seg::make(ACK, 1001, base));
  Out rx = s.expect(60ms, ACK, base, 1001);  // RFC 5681 §3.2 step 2
  EXPECT_EQ(rx.data.size(), kMss);
  // Reno: ssthresh = FlightSize / 2; cwnd = ssthresh + 3 SMSS.
  EXPECT_EQ(c.info().ssthresh, 5 * kMss);
  EXPECT_EQ(c.info().cwnd, 8 * kMss);
  s.run_until(110ms);
  // The retransmission filled the first hole; the ACK stops at the second:
  // a partial ACK, so segment 3 goes at once (RFC 6582 §3.2 step 4).
  s.inject(Seg::make(ACK, 1001, base + 3 * kMss));
  s.expect(110ms, ACK, base + 3 * kMss, 1001);
  EXPECT_TRUE(c.connection().in_recovery());
  s.run_until(160ms);
  s.inject(Seg::make(ACK, 1001, base + 10 * kMss));  // full ACK: recovery over
  EXPECT_FALSE(c.connection().in_recovery());
  EXPECT_EQ(c.info().cwnd, std::min(5 * kMss, kMss + kMss));  // min(ssthresh, flight + SMSS)
  EXPECT_EQ(c.info().stats.fast_retransmits, 1u);
  s.expect_silence_until(3s);
}

TEST(ScriptNewReno, LimitedTransmitSendsNewDataOnTheFirstTwoDuplicates) {
  SegmentScript s;
  auto l = s.listen();
  auto c = open_negotiated(s, l, {.sack = false});
  const std::uint32_t base = s.iss() + 1;
  c.write(std::string(12 * kMss, 'd'));
  s.flush();
  for (std::uint32_t i = 0; i < 10; ++i)
    s.expect(0s, ACK, base + i * kMss, 1001);
  s.run_until(50ms);
  s.inject(Seg::make(ACK, 1001, base));
  s.expect(50ms, ACK, base + 10 * kMss, 1001);  // RFC 3042: one new segment
  s.inject(Seg::make(ACK, 1001, base));
  s.expect(50ms, PSH | ACK, base + 11 * kMss, 1001);  // and another
  s.inject(Seg::make(ACK, 1001, base));
  s.expect(50ms, ACK, base, 1001);  // third: fast retransmit
}
