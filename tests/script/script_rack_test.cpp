// RACK (RFC 8985 §6) on the virtual clock: losses decided by when segments
// were sent, not by how many were SACKed above them. Every connection here
// has a 20 ms RTT (SRTT 20 ms, RTO 220 ms) and RACK's min_RTT of 20 ms, so the
// reordering window is 5 ms (min_RTT / 4) unless stated.
#include <gtest/gtest.h>

#include <optional>

#include "support/negotiated_open.hpp"

using namespace synack;
using namespace synack::testing;
using namespace std::chrono_literals;

namespace {
constexpr std::uint32_t kMss = 1460;

std::uint32_t open_20ms(SegmentScript& s, socket::TcpListener& l,
                        std::optional<socket::TcpStream>& c) {
  NegotiatedOpen o;
  o.rtt = 20ms;
  c = open_negotiated(s, l, o);
  EXPECT_EQ(c->info().srtt, 20ms);
  return s.iss() + 1;
}

// An ACK of everything below `ack` that SACKs [from, to).
Seg sack_ack(std::uint32_t ack, std::uint32_t from, std::uint32_t to) {
  Seg a = Seg::make(ACK, 1001, ack);
  a.opts = sack_blocks({{from, to}});
  return a;
}

// Writes n full segments at the current time and expects them all out.
void send_more(SegmentScript& s, socket::TcpStream& c, std::uint32_t first, std::uint32_t n) {
  c.write(std::string(n * kMss, 'm'));
  s.flush();
  for (std::uint32_t i = 0; i < n; ++i)
    s.expect(s.elapsed(), i + 1 == n ? PSH | ACK : ACK, first + i * kMss, 1001);
}
}  // namespace

// Issue 12's seed 6606: at the tail of a flight, one hole under two SACKed
// segments. DupThresh never reaches three and, with segments SACKed, no loss
// probe is due (§7.2): RFC 6675 left it to the RTO. RACK: the SACKed segments
// were sent after the hole, so once the reordering window (5 ms) has passed
// since the RTT of the hole, it is lost. Repaired 25 ms after it was sent,
// 5 ms after the SACK.
TEST(ScriptRack, HoleUnderTwoSackedAtTheTailIsResentAfterTheReorderingWindow) {
  SegmentScript s;
  auto l = s.listen();
  std::optional<socket::TcpStream> oc;
  const std::uint32_t base = open_20ms(s, l, oc);
  socket::TcpStream& c = *oc;
  EXPECT_EQ(send_full_segments(s, c, 4, kMss), base);  // at 20 ms
  s.run_until(40ms);
  s.inject(sack_ack(base + kMss, base + 2 * kMss, base + 4 * kMss));
  EXPECT_EQ(c.connection().rack().reo_wnd(), 5ms);
  s.expect_silence_until(44ms);
  s.expect(45ms, ACK, base + kMss, 1001);  // RACK's reordering timer (§6.3)
  EXPECT_TRUE(c.connection().in_recovery());
  s.run_until(65ms);
  s.inject(Seg::make(ACK, 1001, base + 4 * kMss));
  EXPECT_FALSE(c.connection().in_recovery());
  EXPECT_EQ(c.info().stats.retransmits, 1u);
  EXPECT_EQ(c.info().stats.loss_probes, 0u);
  EXPECT_EQ(c.info().stats.timeouts, 0u);
  s.expect_silence_until(2s);
}

// The fast retransmission itself is lost. New data sent with it (at the same
// instant, higher in sequence) is SACKed an RTT later, so the retransmission
// is lost too (§6.2 step 5, reordering window 0 in recovery): sent again at
// once, 180 ms before the RTO would have.
TEST(ScriptRack, LostRetransmissionIsRepairedBeforeTheTimeout) {
  SegmentScript s;
  auto l = s.listen();
  std::optional<socket::TcpStream> oc;
  const std::uint32_t base = open_20ms(s, l, oc);
  socket::TcpStream& c = *oc;
  c.write(std::string(12 * kMss, 'd'));
  s.flush();
  for (std::uint32_t i = 0; i < 10; ++i)  // the initial window
    s.expect(20ms, ACK, base + i * kMss, 1001);
  s.run_until(40ms);
  // Segment 0 lost, 1-9 SACKed: nine above it, no reordering seen, so the
  // window is 0 and the loss is certain now.
  s.inject(sack_ack(base, base + kMss, base + 10 * kMss));
  s.expect(40ms, ACK, base, 1001);
  // PRR (RFC 6937): pipe is one segment, ssthresh seven: the rest goes.
  s.expect(40ms, ACK, base + 10 * kMss, 1001);
  s.expect(40ms, PSH | ACK, base + 11 * kMss, 1001);
  s.run_until(60ms);
  s.inject(sack_ack(base, base + kMss, base + 12 * kMss));
  s.expect(60ms, ACK, base, 1001);  // the retransmission was lost: again
  EXPECT_EQ(c.info().stats.timeouts, 0u);
  s.run_until(80ms);
  s.inject(Seg::make(ACK, 1001, base + 12 * kMss));
  EXPECT_FALSE(c.connection().in_recovery());
  EXPECT_EQ(c.info().stats.fast_retransmits, 1u);
  EXPECT_EQ(c.info().stats.retransmits, 2u);
  s.expect_silence_until(2s);
  EXPECT_EQ(c.info().stats.timeouts, 0u);
}

// Reordering inside the window is not loss. Two segments SACKed above a hole
// arm the 5 ms timer; the late segment arrives after 3 ms and nothing is
// resent. Having seen reordering (§6.2 step 3), RACK keeps the window even
// when three segments are SACKed above the next hole, which DupThresh would
// have called lost at once.
TEST(ScriptRack, ReorderingWithinTheWindowIsNotLoss) {
  SegmentScript s;
  auto l = s.listen();
  std::optional<socket::TcpStream> oc;
  const std::uint32_t base = open_20ms(s, l, oc);
  socket::TcpStream& c = *oc;
  EXPECT_EQ(send_full_segments(s, c, 4, kMss), base);  // at 20 ms
  s.run_until(40ms);
  s.inject(sack_ack(base, base + kMss, base + 3 * kMss));
  EXPECT_FALSE(c.connection().rack().reordering_seen());
  s.run_until(43ms);
  s.inject(Seg::make(ACK, 1001, base + 3 * kMss));  // segment 0, late
  EXPECT_TRUE(c.connection().rack().reordering_seen());
  s.run_until(44ms);
  s.inject(Seg::make(ACK, 1001, base + 4 * kMss));
  s.expect_silence_until(44ms);
  // Second flight; its first segment is overtaken by the other three.
  const std::uint32_t next = base + 4 * kMss;
  send_more(s, c, next, 4);
  s.run_until(64ms);
  s.inject(sack_ack(next, next + kMss, next + 4 * kMss));
  EXPECT_EQ(c.connection().rack().reo_wnd(), 5ms);
  s.run_until(66ms);
  s.inject(Seg::make(ACK, 1001, next + 4 * kMss));
  s.expect_silence_until(2s);
  EXPECT_EQ(c.info().stats.retransmits, 0u);
  EXPECT_EQ(c.info().stats.fast_retransmits, 0u);
}

// A D-SACK (RFC 2883) shows a fast retransmission was needless: the original
// was only late. RACK counts it as reordering and doubles the window for the
// next 16 recoveries (§6.2 step 4): 10 ms instead of 5, so the next hole is
// resent 10 ms after its RTT, not 5.
TEST(ScriptRack, DsackWidensTheReorderingWindow) {
  SegmentScript s;
  auto l = s.listen();
  std::optional<socket::TcpStream> oc;
  const std::uint32_t base = open_20ms(s, l, oc);
  socket::TcpStream& c = *oc;
  EXPECT_EQ(send_full_segments(s, c, 4, kMss), base);  // at 20 ms
  s.run_until(40ms);
  // Three SACKed above segment 0 and no reordering seen yet: lost at once.
  s.inject(sack_ack(base, base + kMss, base + 4 * kMss));
  s.expect(40ms, ACK, base, 1001);
  s.run_until(42ms);
  s.inject(Seg::make(ACK, 1001, base + 4 * kMss));  // the original, late
  s.run_until(60ms);
  Seg dsack = Seg::make(ACK, 1001, base + 4 * kMss);  // and the retransmission
  dsack.opts = sack_blocks({{base, base + kMss}});
  s.inject(dsack);
  EXPECT_EQ(c.info().stats.dsacks_received, 1u);
  EXPECT_EQ(c.connection().rack().reo_wnd_mult(), 2);
  const std::uint32_t next = base + 4 * kMss;
  send_more(s, c, next, 4);  // at 60 ms
  s.run_until(80ms);
  s.inject(sack_ack(next, next + kMss, next + 4 * kMss));
  EXPECT_EQ(c.connection().rack().reo_wnd(), 10ms);
  s.expect_silence_until(89ms);
  s.expect(90ms, ACK, next, 1001);
  s.run_until(110ms);
  s.inject(Seg::make(ACK, 1001, next + 4 * kMss));
  s.expect_silence_until(2s);
  EXPECT_EQ(c.info().stats.retransmits, 2u);
}
