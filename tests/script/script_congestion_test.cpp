// The congestion window on the virtual clock: an initial window of ten
// segments (RFC 6928), slow start (RFC 5681 §3.1), the collapse to one
// segment after a timeout, and Nagle with and without TCP_NODELAY.
#include <gtest/gtest.h>

#include "support/negotiated_open.hpp"

using namespace synack;
using namespace synack::testing;
using namespace std::chrono_literals;

namespace {
constexpr std::uint32_t kMss = 1460;
}

TEST(ScriptCongestion, TenSegmentsThenSlowStartGrowsByWhatIsAcked) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  const std::uint32_t base = s.iss() + 1;
  c.write(std::string(40 * kMss, 'd'));
  s.flush();
  for (std::uint32_t i = 0; i < 10; ++i)
    s.expect(0s, ACK, base + i * kMss, 1001);
  s.expect_silence_until(100ms);
  // Two segments acknowledged: they leave the network and the window grows
  // by two, so four new segments go.
  s.inject(Seg::make(ACK, 1001, base + 2 * kMss));
  EXPECT_EQ(c.info().cwnd, 12 * kMss);
  for (std::uint32_t i = 10; i < 14; ++i)
    s.expect(100ms, ACK, base + i * kMss, 1001);
  s.expect_silence_until(200ms);
}

TEST(ScriptCongestion, TimeoutShrinksTheWindowToOneSegment) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  const std::uint32_t base = send_full_segments(s, c, 10, kMss);
  s.expect(200ms, ACK, base, 1001);  // one segment only
  s.expect_silence_until(250ms);
  EXPECT_EQ(c.info().cwnd, kMss);
  EXPECT_EQ(c.info().ssthresh, 7 * kMss);  // CUBIC: 0.7 of the 10-segment window
  s.inject(Seg::make(ACK, 1001, base + kMss));
  s.expect(250ms, ACK, base + kMss, 1001);  // slow start again: two
  s.expect(250ms, ACK, base + 2 * kMss, 1001);
}

TEST(ScriptCongestion, RenoHalvesTheFlightOnTimeout) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  c.set_congestion(tcp::CongestionAlgorithm::NewReno);
  c.write(std::string(10 * kMss, 'd'));
  s.flush();
  s.run_until(200ms);
  EXPECT_EQ(c.info().ssthresh, 5 * kMss);  // RFC 5681 (4): FlightSize / 2
  EXPECT_EQ(c.info().cwnd, kMss);
}

TEST(ScriptCongestion, NagleHoldsSmallWritesUntilTheAckUnlessNoDelay) {
  for (bool nodelay : {false, true}) {
    SegmentScript s;
    auto l = s.listen();
    auto c = s.established_passive(l);
    c.set_nodelay(nodelay);
    c.write("a");
    s.flush();
    s.expect(0s, PSH | ACK, s.iss() + 1, 1001);
    c.write("b");
    s.flush();
    if (nodelay) {
      s.expect(0s, PSH | ACK, s.iss() + 2, 1001);  // TCP_NODELAY: at once
    } else {
      s.expect_silence_until(50ms);  // RFC 9293 §3.7.4: wait for the ACK
      s.inject(Seg::make(ACK, 1001, s.iss() + 2));
      s.expect(50ms, PSH | ACK, s.iss() + 2, 1001);
    }
  }
}
