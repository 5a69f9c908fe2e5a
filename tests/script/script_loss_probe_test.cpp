// Tail loss probe (RFC 8985 §7) on the virtual clock: when, what it sends,
// and the window's response once its ACK shows whether it repaired a loss.
#include <gtest/gtest.h>

#include <optional>

#include "support/negotiated_open.hpp"

using namespace synack;
using namespace synack::testing;
using namespace std::chrono_literals;

namespace {
constexpr std::uint32_t kMss = 1460;

// A SACK connection whose handshake took 20 ms: SRTT 20 ms, RTTVAR 10 ms,
// so RTO = 20 + max(40, 200) = 220 ms. Returns the first data sequence number.
std::uint32_t open_20ms(SegmentScript& s, socket::TcpListener& l,
                        std::optional<socket::TcpStream>& c) {
  NegotiatedOpen o;
  o.rtt = 20ms;
  c = open_negotiated(s, l, o);
  EXPECT_EQ(c->info().srtt, 20ms);
  EXPECT_EQ(c->info().rto, 220ms);
  return s.iss() + 1;
}
}  // namespace

// The last of ten segments is lost. Once the other nine are ACKed (40 ms)
// one segment is outstanding: PTO = 2 x SRTT + 200 ms (the peer may delay
// its ACK) = 240 ms is later than the RTO (220 ms), so the probe takes the
// RTO's place at 260 ms. It resends the last segment; the window is not
// collapsed to one segment as a timeout would. The ACK of later data shows the
// probe repaired a loss: then, and only then, the window is cut (§7.4).
TEST(ScriptLossProbe, ProbeResendsTheLostTailInsteadOfATimeout) {
  SegmentScript s;
  auto l = s.listen();
  std::optional<socket::TcpStream> oc;
  const std::uint32_t base = open_20ms(s, l, oc);
  socket::TcpStream& c = *oc;
  EXPECT_EQ(send_full_segments(s, c, 10, kMss), base);  // at 20 ms
  s.run_until(40ms);
  s.inject(Seg::make(ACK, 1001, base + 9 * kMss));
  const std::uint32_t cwnd = c.info().cwnd;
  s.expect_silence_until(259ms);
  Out probe = s.expect(260ms, PSH | ACK, base + 9 * kMss, 1001);
  EXPECT_EQ(probe.data.size(), kMss);
  EXPECT_EQ(c.info().stats.loss_probes, 1u);
  EXPECT_EQ(c.info().stats.timeouts, 0u);
  EXPECT_EQ(c.info().cwnd, cwnd);
  s.run_until(280ms);
  s.inject(Seg::make(ACK, 1001, base + 10 * kMss));
  EXPECT_EQ(c.info().cwnd, cwnd);  // a D-SACK could still say it was not needed
  c.write(std::string(100, 'e'));
  s.flush();
  s.expect(280ms, PSH | ACK, base + 10 * kMss, 1001);
  s.run_until(300ms);
  s.inject(Seg::make(ACK, 1001, base + 10 * kMss + 100));
  EXPECT_EQ(c.info().stats.loss_probe_recoveries, 1u);
  EXPECT_EQ(c.info().cwnd, cwnd * 7 / 10);  // CUBIC's cut (RFC 9438 §4.6)
  EXPECT_EQ(c.info().stats.timeouts, 0u);
  s.expect_silence_until(2s);
}

// With several segments out and no ACK at all, the probe comes 2 x SRTT
// after the last send. Unsent data waiting behind the congestion window goes
// first (new data tells as much as a retransmission and may be needed
// anyway); the RTO then runs from the probe.
TEST(ScriptLossProbe, ProbeSendsNewDataWhenThereIsSome) {
  SegmentScript s;
  auto l = s.listen();
  std::optional<socket::TcpStream> oc;
  const std::uint32_t base = open_20ms(s, l, oc);
  socket::TcpStream& c = *oc;
  c.write(std::string(20 * kMss, 'd'));
  s.flush();
  for (std::uint32_t i = 0; i < 10; ++i)  // the initial window
    s.expect(20ms, ACK, base + i * kMss, 1001);
  s.expect_silence_until(59ms);
  s.expect(60ms, ACK, base + 10 * kMss, 1001);  // the eleventh: new data
  EXPECT_EQ(c.info().stats.loss_probes, 1u);
  EXPECT_EQ(c.info().stats.retransmits, 0u);
  // Only one probe per episode; the RTO (220 ms from the probe) follows.
  s.expect_silence_until(279ms);
  s.expect(280ms, ACK, base, 1001);
  EXPECT_EQ(c.info().stats.timeouts, 1u);
  EXPECT_EQ(c.info().cwnd, kMss);
}

// The original of the probed segment had arrived; only its ACK was late.
// The probe's duplicate draws a D-SACK (RFC 2883), which shows no loss:
// the window is left as it was.
TEST(ScriptLossProbe, DsackForTheProbeMeansNoCut) {
  SegmentScript s;
  auto l = s.listen();
  std::optional<socket::TcpStream> oc;
  const std::uint32_t base = open_20ms(s, l, oc);
  socket::TcpStream& c = *oc;
  EXPECT_EQ(send_full_segments(s, c, 4, kMss), base);  // at 20 ms
  const std::uint32_t cwnd = c.info().cwnd;
  s.expect_silence_until(59ms);
  s.expect(60ms, PSH | ACK, base + 3 * kMss, 1001);  // the last segment again
  s.run_until(70ms);
  s.inject(Seg::make(ACK, 1001, base + 4 * kMss));  // the late ACK
  Seg d = Seg::make(ACK, 1001, base + 4 * kMss);    // the probe's D-SACK
  d.opts = sack_blocks({{base + 3 * kMss, base + 4 * kMss}});
  s.inject(d);
  c.write(std::string(100, 'e'));
  s.flush();
  s.expect(70ms, PSH | ACK, base + 4 * kMss, 1001);
  s.run_until(90ms);
  s.inject(Seg::make(ACK, 1001, base + 4 * kMss + 100));
  EXPECT_EQ(c.info().stats.loss_probes, 1u);
  EXPECT_EQ(c.info().stats.loss_probe_recoveries, 0u);
  EXPECT_EQ(c.info().stats.dsacks_received, 1u);
  EXPECT_GE(c.info().cwnd, cwnd);
}

// Off (TcpConfig::loss_probe = false), a tail loss waits for the RTO.
TEST(ScriptLossProbe, OffLeavesTheTailToTheTimeout) {
  tcp::TcpConfig cfg;
  cfg.loss_probe = false;
  SegmentScript s(cfg);
  auto l = s.listen();
  std::optional<socket::TcpStream> oc;
  const std::uint32_t base = open_20ms(s, l, oc);
  socket::TcpStream& c = *oc;
  EXPECT_EQ(send_full_segments(s, c, 4, kMss), base);  // at 20 ms
  s.expect_silence_until(239ms);
  s.expect(240ms, ACK, base, 1001);
  EXPECT_EQ(c.info().stats.loss_probes, 0u);
  EXPECT_EQ(c.info().stats.timeouts, 1u);
}

// §7.3: the probe sends new data when there is some and the peer's window
// takes it, even when Nagle would hold it. A 100-byte write is out; a second
// one waits behind it (Nagle: a short segment is unacknowledged). The probe
// (one segment out: 2 x SRTT + 200 ms, later than the RTO, so at the RTO's
// 240 ms) carries the waiting 100 bytes, not the first 100 again.
TEST(ScriptLossProbe, ProbeSendsNewDataThatNagleHeld) {
  SegmentScript s;
  auto l = s.listen();
  std::optional<socket::TcpStream> oc;
  const std::uint32_t base = open_20ms(s, l, oc);
  socket::TcpStream& c = *oc;
  c.write(std::string(100, 'a'));
  s.flush();
  s.expect(20ms, PSH | ACK, base, 1001);
  c.write(std::string(100, 'b'));
  s.flush();
  const std::uint32_t cwnd = c.info().cwnd;
  s.expect_silence_until(239ms);
  Out probe = s.expect(240ms, PSH | ACK, base + 100, 1001);
  EXPECT_EQ(probe.data, std::string(100, 'b'));
  EXPECT_EQ(c.info().stats.loss_probes, 1u);
  EXPECT_EQ(c.info().stats.retransmits, 0u);
  s.run_until(260ms);
  s.inject(Seg::make(ACK, 1001, base + 200));
  EXPECT_EQ(c.info().cwnd, cwnd);  // new data repaired nothing: no cut
  EXPECT_EQ(c.info().stats.timeouts, 0u);
  s.expect_silence_until(2s);
}
