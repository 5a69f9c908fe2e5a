// Timestamps (RFC 7323 §3-5): negotiation, echo, a TSval clock in
// milliseconds that never goes back, PAWS, and RTT samples from the echo.
#include <gtest/gtest.h>

#include "support/negotiated_open.hpp"

using namespace synack;
using namespace synack::testing;
using namespace std::chrono_literals;

TEST(ScriptTimestamps, EveryAckEchoesTheLatestTsvalAndOurClockTicksInMilliseconds) {
  SegmentScript s;
  auto l = s.listen();
  Seg syn = Seg::syn(1000);
  syn.opts.timestamps = wire::TcpTimestamps{100, 0};
  s.inject(syn);
  Out sa = s.expect(0s, SYN | ACK, s.iss(), 1001);
  ASSERT_TRUE(sa.opts.timestamps);
  EXPECT_EQ(sa.opts.timestamps->tsecr, 100u);  // RFC 7323 §3.2
  std::uint32_t t0 = sa.opts.timestamps->tsval;
  Seg ack = Seg::make(ACK, 1001, s.iss() + 1);
  ack.opts.timestamps = wire::TcpTimestamps{101, t0};
  s.inject(ack);
  auto c = l.accept();
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->info().timestamps);
  EXPECT_EQ(c->info().snd_mss, 1448u);  // 1460 less the 12-byte option (RFC 6691)
  s.run_until(250ms);
  Seg d = Seg::make(PSH | ACK, 1001, s.iss() + 1, "ping");
  d.opts.timestamps = wire::TcpTimestamps{350, t0};
  s.inject(d);
  Out a = s.expect(250ms, ACK, s.iss() + 1, 1005);
  ASSERT_TRUE(a.opts.timestamps);
  EXPECT_EQ(a.opts.timestamps->tsecr, 350u);
  EXPECT_EQ(a.opts.timestamps->tsval, t0 + 250);  // 1 ms per tick (RFC 7323 §5.4)
  s.run_until(1250ms);
  c->write("pong");
  s.flush();
  Out p = s.expect(1250ms, PSH | ACK, s.iss() + 1, 1005);
  ASSERT_TRUE(p.opts.timestamps);
  EXPECT_EQ(p.opts.timestamps->tsval, t0 + 1250);
  EXPECT_EQ(p.opts.timestamps->tsecr, 350u);
}

TEST(ScriptTimestamps, NoTimestampsWhenTheSynHadNone) {
  SegmentScript s;
  auto l = s.listen();
  auto c = open_negotiated(s, l, {.sack = false, .timestamps = false});
  s.inject(Seg::make(PSH | ACK, 1001, s.iss() + 1, "x"));
  Out a = s.expect(0s, ACK, s.iss() + 1, 1002);
  EXPECT_FALSE(a.opts.timestamps);
  EXPECT_EQ(c.info().snd_mss, 1460u);
}

TEST(ScriptTimestamps, PawsDropsASegmentWithAnOlderTsval) {
  SegmentScript s;
  auto l = s.listen();
  auto c = open_negotiated(s, l, {.timestamps = true});
  Seg d = Seg::make(PSH | ACK, 1001, s.iss() + 1, "new");
  d.opts.timestamps = wire::TcpTimestamps{500, 0};
  s.inject(d);
  s.expect(0s, ACK, s.iss() + 1, 1004);
  // An old duplicate from an earlier incarnation: in window, older TSval.
  Seg old = Seg::make(PSH | ACK, 1004, s.iss() + 1, "old");
  old.opts.timestamps = wire::TcpTimestamps{400, 0};
  s.inject(old);
  Out a = s.expect(0s, ACK, s.iss() + 1, 1004);  // RFC 7323 §5.3 R1: ACK, drop
  ASSERT_TRUE(a.opts.timestamps);
  EXPECT_EQ(a.opts.timestamps->tsecr, 500u);  // TS.Recent unchanged
  EXPECT_EQ(c.readable(), 3u);
  EXPECT_EQ(c.info().stats.paws_rejected, 1u);
  // An RST is never subject to PAWS (§5.3): an exact one still resets.
  Seg rst = Seg::make(RST, 1004, 0);
  rst.opts.timestamps = wire::TcpTimestamps{1, 0};
  s.inject(rst);
  EXPECT_EQ(c.state(), tcp::TcpState::Closed);
}

TEST(ScriptTimestamps, EchoGivesAnRttSampleEvenForARetransmittedSegment) {
  SegmentScript s;
  auto l = s.listen();
  auto c = open_negotiated(s, l, {.sack = false, .timestamps = true});
  EXPECT_LT(c.info().srtt, 1ms);  // the handshake took no virtual time
  c.write("abc");
  s.flush();
  Out first = s.expect(0s, PSH | ACK, s.iss() + 1, 1001);
  Out again = s.expect(200ms, PSH | ACK, s.iss() + 1, 1001);  // RTO
  ASSERT_TRUE(again.opts.timestamps);
  EXPECT_EQ(again.opts.timestamps->tsval, first.opts.timestamps->tsval + 200);
  s.run_until(300ms);
  Seg ack = Seg::make(ACK, 1001, s.iss() + 4);
  ack.opts.timestamps = wire::TcpTimestamps{200, again.opts.timestamps->tsval};
  s.inject(ack);
  // Karn's rule forbids timing the retransmission by sequence number, but
  // the echo names the copy that arrived: a 100 ms sample (RFC 7323 §4.1).
  // RFC 6298 §2.3 with SRTT ~ 0: SRTT = 100/8 ms, RTTVAR = 100/4 ms.
  using Ms = std::chrono::duration<double, std::milli>;
  EXPECT_NEAR(Ms(c.info().srtt).count(), 12.5, 0.01);
  EXPECT_NEAR(Ms(c.info().rttvar).count(), 25.0, 0.01);
}

namespace {
// We close first with timestamps on; returns our TSval clock at t = 0.
std::uint32_t into_time_wait(SegmentScript& s, socket::TcpListener& l) {
  auto c = open_negotiated(s, l, {.timestamps = true});
  c.close();
  s.flush();
  Out fin = s.expect(0s, FIN | ACK, s.iss() + 1, 1001);
  Seg peer_fin = Seg::make(FIN | ACK, 1001, s.iss() + 2);
  peer_fin.opts.timestamps = wire::TcpTimestamps{300, fin.opts.timestamps->tsval};
  s.inject(peer_fin);
  Out last = s.expect(0s, ACK, s.iss() + 2, 1002);
  EXPECT_EQ(last.opts.timestamps->tsecr, 300u);
  return fin.opts.timestamps->tsval;
}
}  // namespace

TEST(ScriptTimestamps, TimeWaitAcksCarryTimestamps) {
  SegmentScript s;
  auto l = s.listen();
  std::uint32_t t0 = into_time_wait(s, l);
  s.run_until(5s);
  Seg again = Seg::make(FIN | ACK, 1001, s.iss() + 2);  // our ACK was lost
  again.opts.timestamps = wire::TcpTimestamps{5300, t0};
  s.inject(again);
  Out a = s.expect(5s, ACK, s.iss() + 2, 1002);
  ASSERT_TRUE(a.opts.timestamps);
  EXPECT_EQ(a.opts.timestamps->tsval, t0 + 5000);
  EXPECT_EQ(a.opts.timestamps->tsecr, 5300u);
}

TEST(ScriptTimestamps, NewerTsvalLetsASynReopenTimeWaitWhateverItsSequence) {
  SegmentScript s;
  auto l = s.listen();
  into_time_wait(s, l);
  s.run_until(1s);
  // RFC 6191: a sequence number below RCV.NXT, but a newer TSval.
  Seg syn = Seg::syn(500);
  syn.opts.timestamps = wire::TcpTimestamps{1300, 0};
  s.inject(syn);
  Out sa = s.expect_any_seq(1s, SYN | ACK, 501);
  EXPECT_EQ(sa.opts.timestamps->tsecr, 1300u);
  // An older TSval does not: challenge ACK from TIME-WAIT.
  SegmentScript s2;
  auto l2 = s2.listen();
  into_time_wait(s2, l2);
  Seg old = Seg::syn(99999);
  old.opts.timestamps = wire::TcpTimestamps{200, 0};
  s2.inject(old);
  s2.expect(0s, ACK, s2.iss() + 2, 1002);
}
