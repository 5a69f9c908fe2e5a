// CongestionControl: slow start, Reno's additive increase and halving, and
// CUBIC's window function (RFC 9438) driven by ACKs on a virtual clock.
#include <gtest/gtest.h>

#include <cmath>

#include "tcp/congestion_control.hpp"

using namespace synack;
using namespace synack::tcp;
using namespace std::chrono_literals;

namespace {
constexpr std::uint32_t kMss = 1000;

// One round trip of ACKs, one per segment in the window.
void round_trip(CongestionControl& cc, Instant& now, Duration rtt) {
  std::uint32_t segs = cc.cwnd / kMss;
  for (std::uint32_t i = 0; i < segs; ++i)
    cc.on_ack(now + rtt * i / segs, kMss, rtt);
  now += rtt;
}
}  // namespace

TEST(TcpCongestionControl, SlowStartDoublesEachRoundTrip) {
  CongestionControl cc(CongestionAlgorithm::NewReno);
  cc.init(kMss);
  EXPECT_EQ(cc.cwnd, 10 * kMss);  // RFC 6928
  Instant now{};
  round_trip(cc, now, 100ms);
  EXPECT_EQ(cc.cwnd, 20 * kMss);
  round_trip(cc, now, 100ms);
  EXPECT_EQ(cc.cwnd, 40 * kMss);
}

TEST(TcpCongestionControl, RenoHalvesThenAddsOneSegmentPerRoundTrip) {
  CongestionControl cc(CongestionAlgorithm::NewReno);
  cc.init(kMss);
  Instant now{};
  cc.on_loss(now, 40 * kMss);
  EXPECT_EQ(cc.ssthresh, 20 * kMss);
  EXPECT_EQ(cc.cwnd, 20 * kMss);
  round_trip(cc, now, 100ms);
  EXPECT_EQ(cc.cwnd, 21 * kMss);
  round_trip(cc, now, 100ms);
  EXPECT_EQ(cc.cwnd, 22 * kMss);
  cc.on_timeout(now, 22 * kMss);
  EXPECT_EQ(cc.cwnd, kMss);
  EXPECT_EQ(cc.ssthresh, 11 * kMss);
}

TEST(TcpCongestionControl, CubicReturnsToTheLastMaximumAfterK) {
  CongestionControl cc(CongestionAlgorithm::Cubic);
  cc.init(kMss);
  cc.cwnd = 100 * kMss;
  cc.ssthresh = 100 * kMss;
  Instant now{};
  cc.on_loss(now, 100 * kMss);
  EXPECT_EQ(cc.cwnd, 70 * kMss);  // beta = 0.7 (RFC 9438 §4.6)
  // K = cbrt(W_max (1 - beta) / C) = cbrt(100 * 0.3 / 0.4) = 4.217 s.
  const double k = std::cbrt(75.0);
  // A long RTT, so the cubic curve and not the Reno-friendly estimate
  // (+0.53 segment per round trip, §4.3) sets the window.
  const Duration rtt = 100ms;
  while (now < Instant(std::chrono::duration_cast<Duration>(std::chrono::duration<double>(k))))
    round_trip(cc, now, rtt);
  double w = static_cast<double>(cc.cwnd) / kMss;
  EXPECT_NEAR(w, 100.0, 3.0);  // the plateau at W_max
  // Concave before K: halfway there the window is already well above the
  // midpoint of 70 and 100.
  CongestionControl half(CongestionAlgorithm::Cubic);
  half.init(kMss);
  half.cwnd = 100 * kMss;
  Instant t{};
  half.on_loss(t, 100 * kMss);
  while (t < Instant(std::chrono::duration_cast<Duration>(std::chrono::duration<double>(k / 2))))
    round_trip(half, t, rtt);
  EXPECT_GT(static_cast<double>(half.cwnd) / kMss, 90.0);
  // Convex after K: probing beyond the old maximum speeds up. W(K + 2 s) =
  // 100 + 0.4 * 2^3 = 103.2; W(K + 5 s) = 100 + 0.4 * 5^3 = 150.
  for (int i = 0; i < 20; ++i)
    round_trip(cc, now, rtt);
  EXPECT_NEAR(static_cast<double>(cc.cwnd) / kMss, 103.2, 3.0);
  for (int i = 0; i < 30; ++i)
    round_trip(cc, now, rtt);
  EXPECT_NEAR(static_cast<double>(cc.cwnd) / kMss, 150.0, 8.0);
}

TEST(TcpCongestionControl, CubicFastConvergenceReleasesMoreBelowTheLastMaximum) {
  CongestionControl cc(CongestionAlgorithm::Cubic);
  cc.init(kMss);
  cc.cwnd = 100 * kMss;
  Instant now{};
  cc.on_loss(now, 100 * kMss);  // W_max = 100
  cc.cwnd = 80 * kMss;
  cc.on_loss(now, 80 * kMss);  // below W_max: W_max = 80 * (1 + 0.7) / 2 = 68
  EXPECT_EQ(cc.cwnd, 56 * kMss);
}
