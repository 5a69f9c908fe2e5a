// Wire-level conformance defects found by a review against RFC 9293, 7323,
// 6298 and Linux (issue 10), one script each: the exact segments that were
// wrong before the fix. Rate limits (RFC 5961 §7) and TIME-WAIT's RSTs are in
// script_rfc5961_test.cpp; the RST|ACK of resets we originate in
// script_close_test.cpp, script_keepalive_test.cpp and
// script_passive_open_test.cpp.
#include <gtest/gtest.h>

#include <string>

#include "support/negotiated_open.hpp"

using namespace synack;
using namespace synack::testing;
using namespace std::chrono_literals;

namespace {

std::string read_all(socket::TcpStream& c) {
  std::string out;
  char buf[4096];
  while (std::size_t n = c.read(std::span(reinterpret_cast<std::uint8_t*>(buf), sizeof buf)))
    out.append(buf, n);
  return out;
}

}  // namespace

// 1. RFC 7323 §4.3 / §5.3 R3: TS.Recent changes only for a segment whose ACK
// is acceptable too.
TEST(ScriptConformance, TsRecentIgnoresASegmentWhoseAckIsUnacceptable) {
  SegmentScript s;
  auto l = s.listen();
  auto c = open_negotiated(s, l, {.timestamps = true});
  Seg d = Seg::make(PSH | ACK, 1001, s.iss() + 1, "a");
  d.opts.timestamps = wire::TcpTimestamps{200, 0};
  s.inject(d);
  s.expect(0s, ACK, s.iss() + 1, 1002);
  // In window, but it acknowledges data never sent, with a far-future TSval.
  Seg forged = Seg::make(PSH | ACK, 1002, s.iss() + 100'000, "x");
  forged.opts.timestamps = wire::TcpTimestamps{0x7fff0000, 0};
  s.inject(forged);
  Out ch = s.expect(0s, ACK, s.iss() + 1, 1002);  // RFC 9293 §3.10.7.4: ACK, drop
  ASSERT_TRUE(ch.opts.timestamps);
  EXPECT_EQ(ch.opts.timestamps->tsecr, 200u);  // TS.Recent unchanged
  // The next valid segment passes PAWS and is taken.
  Seg next = Seg::make(PSH | ACK, 1002, s.iss() + 1, "b");
  next.opts.timestamps = wire::TcpTimestamps{201, 0};
  s.inject(next);
  Out a = s.expect(0s, ACK, s.iss() + 1, 1003);
  ASSERT_TRUE(a.opts.timestamps);
  EXPECT_EQ(a.opts.timestamps->tsecr, 201u);
  EXPECT_EQ(read_all(c), "ab");
  EXPECT_EQ(c.info().stats.paws_rejected, 0u);
}

// 2. RFC 1122 §4.2.3.6: keepalive on a passively opened connection.
TEST(ScriptConformance, KeepaliveProbesAPassivelyOpenedConnection) {
  tcp::TcpConfig cfg;
  cfg.keepalive = true;
  cfg.keepalive_time = 10s;
  cfg.keepalive_interval = 2s;
  cfg.keepalive_probes = 2;
  SegmentScript s(cfg);
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.expect_silence_until(9999ms);
  s.expect(10s, ACK, s.iss(), 1001);  // SEG.SEQ = SND.NXT - 1
  s.expect(12s, ACK, s.iss(), 1001);
  s.expect(14s, RST | ACK, s.iss() + 1, 1001);
  EXPECT_EQ(c.error(), socket::SocketError::TimedOut);
}

// 4. RFC 9293 §3.10.7.4: a zero window still takes a FIN at RCV.NXT, and the
// ACK it carries.
TEST(ScriptConformance, FinIntoAZeroWindowIsAckedAndItsAckProcessed) {
  tcp::TcpConfig cfg;
  cfg.recv_buffer = 3000;
  cfg.window_scaling = false;
  SegmentScript s(cfg);
  auto l = s.listen();
  auto c = s.established_passive(l);
  c.write("reply");
  s.flush();
  s.expect(0s, PSH | ACK, s.iss() + 1, 1001);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, std::string(1460, 'a')));
  s.expect(0s, ACK, s.iss() + 6, 2461);
  s.inject(Seg::make(PSH | ACK, 2461, s.iss() + 1, std::string(1540, 'b')));
  Out full = s.expect(0s, ACK, s.iss() + 6, 4001);
  EXPECT_EQ(full.win, 0);
  // The FIN acknowledges "reply" too.
  s.inject(Seg::make(FIN | ACK, 4001, s.iss() + 6, "", 65535));
  Out a = s.expect(0s, ACK, s.iss() + 6, 4002);
  EXPECT_EQ(a.win, 0);
  EXPECT_EQ(c.state(), tcp::TcpState::CloseWait);
  EXPECT_EQ(c.info().bytes_in_flight, 0u);
  EXPECT_EQ(read_all(c).size(), 3000u);
  EXPECT_TRUE(c.at_eof());
}

// 5. Linux's tcp_probe_timer: tcp_retries2 unanswered zero-window probes end
// the connection; answered ones never do (RFC 1122 §4.2.2.17).
TEST(ScriptConformance, ZeroWindowProbesGiveUpAfterRetries2Unanswered) {
  tcp::TcpConfig cfg;
  cfg.retries2 = 3;
  SegmentScript s(cfg);
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, "", 0));
  c.write("data");
  s.flush();
  // RTO 200 ms (a zero-time handshake sample), doubling per probe.
  s.expect(200ms, ACK, s.iss(), 1001);
  s.expect(600ms, ACK, s.iss(), 1001);
  s.expect(1400ms, ACK, s.iss(), 1001);
  s.expect_silence_until(10s);  // like Linux, no RST to a vanished peer
  EXPECT_EQ(c.state(), tcp::TcpState::Closed);
  EXPECT_EQ(c.error(), socket::SocketError::TimedOut);
}

TEST(ScriptConformance, AnsweredZeroWindowProbesGoOnForever) {
  tcp::TcpConfig cfg;
  cfg.retries2 = 3;
  SegmentScript s(cfg);
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, "", 0));
  c.write("data");
  s.flush();
  for (int i = 0; i < 8; ++i) {
    Out p = s.expect_at(s.elapsed() + 200ms * (1 << std::min(i, 9)));
    EXPECT_EQ(p.seq, s.iss());
    s.inject(Seg::make(ACK, 1001, s.iss() + 1, "", 0));  // alive, still full
  }
  EXPECT_EQ(c.state(), tcp::TcpState::Established);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, "", 1000));
  s.expect(s.elapsed(), PSH | ACK, s.iss() + 1, 1001);
}

// 6. Linux's tcp_snd_wnd_test: a FIN waits for window room like data.
TEST(ScriptConformance, FinIsHeldAtAZeroWindowAndProbed) {
  tcp::TcpConfig cfg;
  cfg.retries2 = 3;
  SegmentScript s(cfg);
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, "", 0));
  c.close();
  s.flush();
  EXPECT_EQ(c.state(), tcp::TcpState::FinWait1);
  // A strict peer answers every probe with window 0: no FIN, no giving up.
  for (int i = 0; i < 6; ++i) {
    Out p = s.expect_at(s.elapsed() + 200ms * (1 << i));
    EXPECT_EQ(p.flags, ACK);
    EXPECT_EQ(p.seq, s.iss());
    s.inject(Seg::make(ACK, 1001, s.iss() + 1, "", 0));
  }
  EXPECT_EQ(c.info().stats.retransmits, 0u);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, "", 1));
  s.expect(s.elapsed(), FIN | ACK, s.iss() + 1, 1001);
  s.inject(Seg::make(ACK, 1001, s.iss() + 2, "", 0));
  EXPECT_EQ(c.state(), tcp::TcpState::FinWait2);
}

// 6, with data: the last byte fills the window, the FIN waits.
TEST(ScriptConformance, DataThatFillsTheWindowLeavesTheFinBehind) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, "", 4));
  c.write("full");
  c.close();
  s.flush();
  s.expect(0s, PSH | ACK, s.iss() + 1, 1001);  // no FIN: no room for it
  s.inject(Seg::make(ACK, 1001, s.iss() + 5, "", 0));
  s.expect(200ms, ACK, s.iss() + 4, 1001);  // a zero-window probe
  s.inject(Seg::make(ACK, 1001, s.iss() + 5, "", 100));
  s.expect(200ms, FIN | ACK, s.iss() + 5, 1001);
}

// 8. RFC 6691: payload plus options within the peer's MSS (1200), not ours.
TEST(ScriptConformance, SackBlocksFitThePeersMss) {
  SegmentScript s;
  auto l = s.listen();
  auto c = open_negotiated(s, l, {.sack = true, .mss = 1200});
  s.inject(Seg::make(ACK, 1101, s.iss() + 1, std::string(100, 'x')));  // a hole at 1001
  Out dup = s.expect(0s, ACK, s.iss() + 1, 1001);
  ASSERT_EQ(dup.opts.sack_count, 1u);
  c.write(std::string(3000, 'd'));
  s.flush();
  // 4 + 8 bytes of SACK option: 1188 bytes of data.
  Out d1 = s.expect(0s, ACK, s.iss() + 1, 1001);
  EXPECT_EQ(d1.data.size(), 1188u);
  ASSERT_EQ(d1.opts.sack_count, 1u);
  EXPECT_EQ(d1.opts.sack[0].left, 1101u);
  Out d2 = s.expect(0s, ACK, s.iss() + 1189, 1001);
  EXPECT_EQ(d2.data.size(), 1188u);
  EXPECT_EQ(d2.opts.sack_count, 1u);
}

// 9. RFC 2018 §4: full-sized data segments keep the SACK blocks while
// out-of-order data is held (Linux's tcp_current_mss shortens them).
TEST(ScriptConformance, FullSizedSegmentsKeepSackBlocks) {
  SegmentScript s;
  auto l = s.listen();
  auto c = open_negotiated(s, l, {.sack = true, .timestamps = true});
  Seg ooo = Seg::make(ACK, 1101, s.iss() + 1, std::string(100, 'x'));
  ooo.opts.timestamps = wire::TcpTimestamps{102, 0};
  s.inject(ooo);
  s.expect(0s, ACK, s.iss() + 1, 1001);
  c.write(std::string(3000, 'd'));
  s.flush();
  // 1448 with timestamps, less 12 for one block: 1436.
  Out d1 = s.expect(0s, ACK, s.iss() + 1, 1001);
  EXPECT_EQ(d1.data.size(), 1436u);
  EXPECT_EQ(d1.opts.sack_count, 1u);
  Out d2 = s.expect(0s, ACK, s.iss() + 1437, 1001);
  EXPECT_EQ(d2.data.size(), 1436u);
  EXPECT_EQ(d2.opts.sack_count, 1u);
  s.expect(0s, PSH | ACK, s.iss() + 2873, 1001);
  // Once the hole fills, segments are full-sized again.
  Seg fill = Seg::make(ACK, 1001, s.iss() + 3001, std::string(100, 'f'));
  fill.opts.timestamps = wire::TcpTimestamps{103, 0};
  s.inject(fill);
  s.expect(0s, ACK, s.iss() + 3001, 1201);
  c.write(std::string(1448, 'e'));
  s.flush();
  Out d4 = s.expect(0s, PSH | ACK, s.iss() + 3001, 1201);
  EXPECT_EQ(d4.data.size(), 1448u);
  EXPECT_EQ(d4.opts.sack_count, 0u);
}

// 11. RFC 6298 §5.7: no RTT sample from the handshake (SYN-ACK
// retransmitted) means an RTO of 3 s once data starts.
TEST(ScriptConformance, RetransmittedSynAckLeavesA3SecondRto) {
  SegmentScript s;
  auto l = s.listen();
  s.inject(Seg::syn(1000));
  s.expect(0s, SYN | ACK, s.iss(), 1001);
  s.expect(1s, SYN | ACK, s.iss(), 1001);
  s.run_until(1500ms);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1));
  auto c = l.accept();
  ASSERT_TRUE(c);
  c->write("x");
  s.flush();
  s.expect(1500ms, PSH | ACK, s.iss() + 1, 1001);
  s.expect(4500ms, PSH | ACK, s.iss() + 1, 1001);
}

TEST(ScriptConformance, CookieHandshakeLeavesA3SecondRto) {
  tcp::TcpConfig cfg;
  cfg.syncookies = tcp::SyncookieMode::On;
  SegmentScript s(cfg);
  auto l = s.listen();
  s.inject(Seg::syn(1000));
  s.expect(0s, SYN | ACK, s.iss(), 1001);
  s.run_until(20ms);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1));
  auto c = l.accept();
  ASSERT_TRUE(c);
  c->write("x");
  s.flush();
  s.expect(20ms, PSH | ACK, s.iss() + 1, 1001);
  s.expect(3020ms, PSH | ACK, s.iss() + 1, 1001);
}

// 12. RFC 7323 §2.2: the SYN-ACK of a simultaneous open is not scaled.
TEST(ScriptConformance, SimultaneousOpenSynAckWindowIsUnscaled) {
  SegmentScript s;
  auto c = s.syn_sent();
  Seg syn = Seg::syn(7000);
  syn.opts.window_scale = 7;
  s.inject(syn);
  Out sa = s.expect(0s, SYN | ACK, s.iss(), 7001);
  ASSERT_TRUE(sa.opts.window_scale);
  EXPECT_EQ(sa.win, 65535);  // min(6 MiB, 65535), not 6 MiB >> 7
  EXPECT_EQ(c.state(), tcp::TcpState::SynReceived);
  // The peer sends its SYN again: whatever answers it (an ACK may offer
  // the scaled buffer), the SYN-ACK resent on the timeout offers the same
  // unscaled window, not a truncated scaled one.
  s.inject(syn);
  s.expect_at(0s);
  Out again = s.expect(1s, SYN | ACK, s.iss(), 7001);
  EXPECT_EQ(again.win, 65535);
}

// 13. One ACK (RCV.NXT + 1) when filling a hole completes a remembered FIN.
TEST(ScriptConformance, FillingTheHoleBeforeAFinSendsOneAck) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  // Use up the quick ACKs of a young connection (16, as Linux).
  std::uint32_t seq = 1001;
  for (int i = 0; i < 16; ++i, seq += 10) {
    s.inject(Seg::make(ACK, seq, s.iss() + 1, std::string(10, 'q')));
    s.expect(0s, ACK, s.iss() + 1, seq + 10);
  }
  s.inject(Seg::make(FIN | ACK, seq + 10, s.iss() + 1, std::string(10, 'b')));
  s.expect(0s, ACK, s.iss() + 1, seq);  // out of order: a duplicate ACK
  s.inject(Seg::make(ACK, seq, s.iss() + 1, std::string(10, 'a')));
  s.expect(0s, ACK, s.iss() + 1, seq + 21);
  s.expect_silence_until(1s);
  EXPECT_EQ(c.state(), tcp::TcpState::CloseWait);
}

// 6, review: a FIN already sent is resent with the head after a timeout,
// even at a zero window (Linux's __tcp_retransmit_skb), and a zero window
// that keeps answering never exhausts retries2 (tcp_retransmit_timer).
TEST(ScriptConformance, ASentFinIsRetransmittedAtAZeroWindowWithoutTimingOut) {
  tcp::TcpConfig cfg;
  cfg.retries2 = 2;
  SegmentScript s(cfg);
  auto l = s.listen();
  auto c = s.established_passive(l);
  c.write("data");
  s.flush();
  s.expect(0s, PSH | ACK, s.iss() + 1, 1001);
  c.shutdown();  // not an orphan: that one gets no such patience
  s.flush();
  s.expect(0s, FIN | ACK, s.iss() + 5, 1001);          // lost
  s.inject(Seg::make(ACK, 1001, s.iss() + 5, "", 0));  // the data only, window 0
  Duration rto = 200ms;
  for (int i = 0; i < 5; ++i) {
    Out f = s.expect_at(s.elapsed() + rto);
    EXPECT_EQ(f.flags, FIN | ACK);
    EXPECT_EQ(f.seq, s.iss() + 5);
    s.inject(Seg::make(ACK, 1001, s.iss() + 5, "", 0));  // alive, still shut
    rto *= 2;
  }
  EXPECT_EQ(c.state(), tcp::TcpState::FinWait1);
  s.inject(Seg::make(ACK, 1001, s.iss() + 6, "", 0));
  EXPECT_EQ(c.state(), tcp::TcpState::FinWait2);
}

// 14, review: a retransmitted FIN (our ACK of it was lost) is always
// answered; it occupies sequence space, so it is no ACK loop.
TEST(ScriptConformance, RetransmittedFinsAreNotRateLimited) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.close_wait(l);
  for (int i = 1; i <= 3; ++i) {
    s.run_until(100ms * i);
    s.inject(Seg::make(FIN | ACK, 1001, s.iss() + 1));
    s.expect(100ms * i, ACK, s.iss() + 1, 1002);
  }
  EXPECT_EQ(c.info().stats.acks_rate_limited, 0u);
}

// 5, review: an orphan facing a window held shut gives up once its probes
// have backed off to rto_max (Linux's tcp_orphan_retries), answered or not.
TEST(ScriptConformance, AnOrphanAtAZeroWindowGivesUp) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, "", 0));
  c.write("data");
  c.close();
  s.flush();
  // Answer every 10 s, window still 0: probes_out never reaches retries2.
  for (int i = 0; i < 100 && c.state() != tcp::TcpState::Closed; ++i) {
    s.run_for(10s);
    if (c.state() != tcp::TcpState::Closed) s.inject(Seg::make(ACK, 1001, s.iss() + 1, "", 0));
  }
  EXPECT_EQ(c.state(), tcp::TcpState::Closed);
  EXPECT_EQ(c.error(), socket::SocketError::TimedOut);
}
