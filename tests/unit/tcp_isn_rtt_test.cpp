// Initial sequence numbers (RFC 6528) and the RTO estimator (RFC 6298).
#include <gtest/gtest.h>

#include <set>

#include "tcp/isn_generator.hpp"
#include "tcp/rtt_estimator.hpp"

using namespace synack;
using namespace synack::tcp;
using namespace std::chrono_literals;

namespace {
FourTuple tuple(std::uint16_t lport, std::uint16_t rport) {
  return {wire::Ipv4Address(10, 0, 0, 2), lport, wire::Ipv4Address(10, 0, 0, 1), rport};
}
}  // namespace

TEST(TcpIsn, SameTupleAdvancesWithTheFourMicrosecondClock) {
  IsnGenerator g(SipKey{1, 2});
  SeqNum a = g.generate(tuple(80, 4000), instant_from_us(0));
  SeqNum b = g.generate(tuple(80, 4000), instant_from_us(4'000'000));
  EXPECT_EQ(b - a, 1'000'000);  // M ticks once per 4 us (RFC 6528 §3)
  EXPECT_EQ(g.generate(tuple(80, 4000), instant_from_us(0)), a);  // deterministic
}

TEST(TcpIsn, DifferentTuplesAndKeysGiveUnrelatedValues) {
  IsnGenerator g(SipKey{1, 2});
  std::set<std::uint32_t> seen;
  for (std::uint16_t p = 4000; p < 5000; ++p)
    seen.insert(g.generate(tuple(80, p), {}).raw());
  EXPECT_EQ(seen.size(), 1000u);
  IsnGenerator other(SipKey{3, 4});
  EXPECT_NE(other.generate(tuple(80, 4000), {}), g.generate(tuple(80, 4000), {}));
}

TEST(TcpRtt, FirstSampleThenSmoothing) {
  RttEstimator r(1s, 200ms, 120s);
  EXPECT_EQ(r.rto(), 1s);
  r.sample(100ms);  // SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR (RFC 6298 §2.2)
  EXPECT_EQ(r.srtt(), 100ms);
  EXPECT_EQ(r.rttvar(), 50ms);
  EXPECT_EQ(r.rto(), 300ms);
  r.sample(200ms);  // RTTVAR = 3/4*50 + 1/4*100 = 62.5; SRTT = 7/8*100 + 1/8*200 = 112.5
  EXPECT_EQ(r.rttvar(), 62500us);
  EXPECT_EQ(r.srtt(), 112500us);
  EXPECT_EQ(r.rto(), 112500us + 4 * 62500us);
}

TEST(TcpRtt, ClampedToMinAndMax) {
  RttEstimator r(1s, 200ms, 120s);
  r.sample(1ms);
  // Linux's bound: SRTT + max(4 RTTVAR, rto_min) = 1 ms + 200 ms.
  EXPECT_EQ(r.rto(), 201ms);
  RttEstimator steady(1s, 200ms, 120s);
  for (int i = 0; i < 100; ++i)
    steady.sample(200ms);          // RTTVAR decays towards 0
  EXPECT_EQ(steady.rto(), 400ms);  // not 200 ms: a delayed ACK must not fire it
  RttEstimator big(1s, 200ms, 120s);
  big.sample(100s);
  EXPECT_EQ(big.rto(), 120s);
}

TEST(TcpRtt, HandshakeRetransmittedWithoutSampleGivesThreeSeconds) {
  RttEstimator r(1s, 200ms, 120s);
  r.handshake_without_sample();  // RFC 6298 §5.7
  EXPECT_EQ(r.rto(), 3s);
}
