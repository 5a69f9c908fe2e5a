// Passive open through the Listener: SynQueue, AcceptQueue, SYN-ACK
// retransmission and the half-open lifetime (the article's points 2-5, 7).
#include <gtest/gtest.h>

#include "support/segment_script.hpp"

using namespace synack;
using namespace synack::testing;
using namespace std::chrono_literals;

TEST(ScriptPassiveOpen, HandshakeCompletesIntoAcceptQueue) {
  SegmentScript s;
  auto l = s.listen(80);
  s.inject(Seg::syn(1000));
  Out sa = s.expect(0s, SYN | ACK, s.iss(), 1001);
  EXPECT_EQ(sa.opts.mss, 1460);
  EXPECT_EQ(sa.win, 65535);
  EXPECT_EQ(l.syn_queue_size(), 1u);
  EXPECT_EQ(l.accept_queue_size(), 0u);
  s.run_until(50ms);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1));
  s.expect_silence_until(50ms);
  EXPECT_EQ(l.syn_queue_size(), 0u);
  EXPECT_EQ(l.accept_queue_size(), 1u);
  auto c = l.accept();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->state(), tcp::TcpState::Established);
  EXPECT_EQ(c->connection().rtt().srtt(), 50ms);  // SYN-ACK to ACK
  EXPECT_EQ(l.counters().syns_received, 1u);
  EXPECT_EQ(l.counters().established, 1u);
  EXPECT_EQ(l.counters().accepted, 1u);
}

TEST(ScriptPassiveOpen, WindowScaleOnlyWhenOffered) {
  SegmentScript s;
  auto l = s.listen(80);
  Seg syn = Seg::syn(1000, 1200);
  syn.opts.window_scale = 7;
  s.inject(syn);
  Out sa = s.expect(0s, SYN | ACK, s.iss(), 1001);
  ASSERT_TRUE(sa.opts.window_scale.has_value());
  EXPECT_EQ(*sa.opts.window_scale, 7);  // 6 MiB buffer >> 7 fits 16 bits (as Linux)
  Seg plain = Seg::syn(3000);
  plain.src_port = 4001;
  s.inject(plain);
  Out sa2 = s.expect_any_seq(0s, SYN | ACK, 3001);
  EXPECT_FALSE(sa2.opts.window_scale.has_value());  // RFC 7323 §2.2
}

TEST(ScriptPassiveOpen, SynAckRetransmittedAt1_3_7_15_31ThenEntryDiesAt63) {
  SegmentScript s;
  auto l = s.listen(80);
  s.inject(Seg::syn(1000));
  s.expect(0s, SYN | ACK, s.iss(), 1001);
  for (auto t : {1s, 3s, 7s, 15s, 31s})
    s.expect(t, SYN | ACK, s.iss(), 1001);
  s.expect_silence_until(62s);
  EXPECT_EQ(l.syn_queue_size(), 1u);
  s.expect_silence_until(63s);
  EXPECT_EQ(l.syn_queue_size(), 0u);  // half-open lifetime: 1+2+4+8+16+32 = 63 s
  EXPECT_EQ(l.counters().synacks_retransmitted, 5u);
  EXPECT_EQ(l.counters().half_open_expired, 1u);
  // The entry is gone: a late ACK now gets a RST (RFC 9293 §3.10.7.2).
  s.inject(Seg::make(ACK, 1001, s.iss() + 1));
  s.expect(63s, RST, s.iss() + 1, 0);
  EXPECT_EQ(s.tcp().request_pool().live, 0u);
}

TEST(ScriptPassiveOpen, ConfiguredSynackRetriesShortenLifetime) {
  tcp::TcpConfig cfg;
  cfg.synack_retries = 2;
  SegmentScript s(cfg);
  auto l = s.listen(80);
  s.inject(Seg::syn(1000));
  s.expect(0s, SYN | ACK, s.iss(), 1001);
  s.expect(1s, SYN | ACK, s.iss(), 1001);
  s.expect(3s, SYN | ACK, s.iss(), 1001);
  s.expect_silence_until(7s);  // 1 + 2 + 4
  EXPECT_EQ(l.syn_queue_size(), 0u);
}

TEST(ScriptPassiveOpen, DuplicateSynResendsSynAckAndPushesTheTimerBack) {
  SegmentScript s;
  auto l = s.listen(80);
  s.inject(Seg::syn(1000));
  s.expect(0s, SYN | ACK, s.iss(), 1001);
  s.run_until(500ms);
  s.inject(Seg::syn(1000));  // our SYN-ACK was lost; the client retransmits
  s.expect(500ms, SYN | ACK, s.iss(), 1001);
  // Our own timer restarts from the answer: 0.5 + 1 s, then + 2 s.
  s.expect(1500ms, SYN | ACK, s.iss(), 1001);
  s.expect(3500ms, SYN | ACK, s.iss(), 1001);
  EXPECT_EQ(l.syn_queue_size(), 1u);
}

TEST(ScriptPassiveOpen, ExactRstInSynReceivedRemovesEntryListenerCarriesOn) {
  SegmentScript s;
  auto l = s.listen(80);
  s.inject(Seg::syn(1000));
  s.expect(0s, SYN | ACK, s.iss(), 1001);
  s.inject(Seg::make(RST, 1001, 0));
  EXPECT_EQ(l.syn_queue_size(), 0u);
  EXPECT_EQ(l.counters().resets_received, 1u);
  s.expect_silence_until(10s);  // no SYN-ACK retransmissions for it
  Seg again = Seg::syn(9000);
  again.src_port = 4001;
  s.inject(again);
  s.expect_any_seq(10s, SYN | ACK, 9001);
}

TEST(ScriptPassiveOpen, InWindowRstInSynReceivedGetsChallengeAck) {
  SegmentScript s;
  auto l = s.listen(80);
  s.inject(Seg::syn(1000));
  s.expect(0s, SYN | ACK, s.iss(), 1001);
  s.inject(Seg::make(RST, 1101, 0));
  s.expect(0s, ACK, s.iss() + 1, 1001);  // RFC 5961 §3.2
  EXPECT_EQ(l.syn_queue_size(), 1u);
}

TEST(ScriptPassiveOpen, BadAckInSynReceivedGetsResetEntryStays) {
  SegmentScript s;
  auto l = s.listen(80);
  s.inject(Seg::syn(1000));
  s.expect(0s, SYN | ACK, s.iss(), 1001);
  s.inject(Seg::make(ACK, 1001, s.iss() + 77));
  s.expect(0s, RST, s.iss() + 77, 0);  // <SEQ=SEG.ACK><CTL=RST>, RFC 9293 §3.10.7.4
  EXPECT_EQ(l.syn_queue_size(), 1u);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1));
  EXPECT_EQ(l.accept_queue_size(), 1u);
}

TEST(ScriptPassiveOpen, FinalAckLostFirstDataSegmentCompletesHandshake) {
  SegmentScript s;
  auto l = s.listen(80);
  s.inject(Seg::syn(1000));
  s.expect(0s, SYN | ACK, s.iss(), 1001);
  // The final ACK is lost; the client, ESTABLISHED, sends data.
  s.run_until(200ms);
  s.inject(Seg::make(PSH | ACK, 1001, s.iss() + 1, "hello"));
  s.expect(200ms, ACK, s.iss() + 1, 1006);
  EXPECT_EQ(l.syn_queue_size(), 0u);
  auto c = l.accept();
  ASSERT_TRUE(c);
  std::uint8_t buf[16];
  ASSERT_EQ(c->read(buf), 5u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 5), "hello");
}

TEST(ScriptPassiveOpen, SynQueueFullDropsSyn) {
  tcp::TcpConfig cfg;
  cfg.syn_backlog = 1;
  cfg.syncookies = tcp::SyncookieMode::Off;  // with cookies the SYN would get one
  SegmentScript s(cfg);
  auto l = s.listen(80);
  s.inject(Seg::syn(1000));
  s.expect(0s, SYN | ACK, s.iss(), 1001);
  Seg second = Seg::syn(2000);
  second.src_port = 4001;
  s.inject(second);
  s.expect_silence_until(999ms);
  EXPECT_EQ(l.counters().syn_queue_full_drops, 1u);
  EXPECT_EQ(l.syn_queue_size(), 1u);
}

namespace {
// Two SYNs answered, the first completed: with backlog 1 the accept queue is full.
struct TwoHandshakes {
  explicit TwoHandshakes(bool abort_on_overflow) {
    cfg.backlog = 1;
    cfg.abort_on_overflow = abort_on_overflow;
  }
  tcp::TcpConfig cfg;
};
}  // namespace

TEST(ScriptPassiveOpen, AcceptQueueFullDropsFinalAckAndRetriesLater) {
  TwoHandshakes setup(false);
  SegmentScript s(setup.cfg);
  auto l = s.listen(80);
  s.inject(Seg::syn(1000));
  std::uint32_t iss_a = s.expect(0s, SYN | ACK, s.iss(), 1001).seq;
  Seg syn_b = Seg::syn(2000);
  syn_b.src_port = 4001;
  s.inject(syn_b);
  std::uint32_t iss_b = s.expect_any_seq(0s, SYN | ACK, 2001).seq;
  s.inject(Seg::make(ACK, 1001, iss_a + 1));
  EXPECT_EQ(l.accept_queue_size(), 1u);
  Seg ack_b = Seg::make(ACK, 2001, iss_b + 1);
  ack_b.src_port = 4001;
  s.inject(ack_b);  // accept queue full: dropped, nothing sent
  EXPECT_EQ(l.counters().accept_queue_overflows, 1u);
  EXPECT_EQ(l.syn_queue_size(), 1u);
  Out re = s.expect(1s, SYN | ACK, iss_b, 2001);  // B's SYN-ACK again
  EXPECT_EQ(re.dst_port, 4001);
  ASSERT_TRUE(l.accept());  // the application makes room
  s.inject(ack_b);          // the client answers the duplicate SYN-ACK
  EXPECT_EQ(l.accept_queue_size(), 1u);
  EXPECT_EQ(l.syn_queue_size(), 0u);
}

TEST(ScriptPassiveOpen, AbortOnOverflowResets) {
  TwoHandshakes setup(true);
  SegmentScript s(setup.cfg);
  auto l = s.listen(80);
  s.inject(Seg::syn(1000));
  std::uint32_t iss_a = s.expect_any_seq(0s, SYN | ACK, 1001).seq;
  Seg syn_b = Seg::syn(2000);
  syn_b.src_port = 4001;
  s.inject(syn_b);
  std::uint32_t iss_b = s.expect_any_seq(0s, SYN | ACK, 2001).seq;
  s.inject(Seg::make(ACK, 1001, iss_a + 1));
  Seg ack_b = Seg::make(ACK, 2001, iss_b + 1);
  ack_b.src_port = 4001;
  s.inject(ack_b);
  Out rst = s.expect(0s, RST, iss_b + 1, 0);
  EXPECT_EQ(rst.dst_port, 4001);
  EXPECT_EQ(l.syn_queue_size(), 0u);
}

TEST(ScriptPassiveOpen, SynDroppedWhileAcceptQueueFull) {
  tcp::TcpConfig cfg;
  cfg.backlog = 1;
  SegmentScript s(cfg);
  auto l = s.listen(80);
  auto first = s.established_passive(l);  // accepted: the queue is empty again
  // A second handshake, not accepted, fills the queue.
  Seg syn = Seg::syn(5000);
  syn.src_port = 4002;
  s.inject(syn);
  std::uint32_t iss = s.expect_any_seq(0s, SYN | ACK, 5001).seq;
  Seg ack = Seg::make(ACK, 5001, iss + 1);
  ack.src_port = 4002;
  s.inject(ack);
  EXPECT_EQ(l.accept_queue_size(), 1u);
  Seg third = Seg::syn(7000);
  third.src_port = 4003;
  s.inject(third);
  s.expect_silence_until(500ms);
  EXPECT_EQ(l.counters().accept_queue_full_drops, 1u);
}

TEST(ScriptPassiveOpen, ClosingListenerResetsConnectionsNeverAccepted) {
  SegmentScript s;
  auto l = s.listen(80);
  s.inject(Seg::syn(1000));
  s.expect(0s, SYN | ACK, s.iss(), 1001);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1));
  EXPECT_EQ(l.accept_queue_size(), 1u);
  l.close();
  s.flush();
  // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>, as Linux resets a child the
  // listener drops.
  s.expect(0s, RST | ACK, s.iss() + 1, 1001);
  s.flush();
  EXPECT_EQ(s.tcp().connection_pool().live, 0u);
  // The port is closed now.
  s.inject(Seg::syn(2000));
  s.expect(0s, RST | ACK, 0, 2001);
}

TEST(ScriptPassiveOpen, RstToListenerIsIgnored) {
  SegmentScript s;
  auto l = s.listen(80);
  s.inject(Seg::make(RST, 1000, 0));
  s.inject(Seg::make(RST | ACK, 1000, 1));
  s.expect_silence_until(5s);
}

// TcpConfig::max_connections bounds the connection pool: past it, a
// handshake's final ACK is dropped and counted (the entry stays, so the
// peer's retransmission completes it once a slot is free), and connect()
// fails with NoMemory.
TEST(ScriptPassiveOpen, ConnectionBoundDropsTheFinalAckAndRefusesConnect) {
  tcp::TcpConfig cfg;
  cfg.max_connections = 1;
  SegmentScript s(cfg);
  auto l = s.listen(80);
  s.inject(Seg::syn(1000));
  s.expect(0s, SYN | ACK, s.iss(), 1001);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1));
  ASSERT_EQ(l.accept_queue_size(), 1u);

  Seg syn2 = Seg::syn(5000);
  syn2.src_port = 4001;
  s.inject(syn2);
  Out sa2 = s.expect_any_seq(0s, SYN | ACK, 5001);
  Seg ack2 = Seg::make(ACK, 5001, sa2.seq + 1);
  ack2.src_port = 4001;
  s.inject(ack2);
  s.expect_silence_until(10ms);
  EXPECT_EQ(l.counters().pool_full_drops, 1u);
  EXPECT_EQ(l.accept_queue_size(), 1u);
  EXPECT_EQ(l.syn_queue_size(), 1u);

  auto out = s.stack().connect(SegmentScript::kPeerAddr, 9);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error(), socket::SocketError::NoMemory);
  EXPECT_EQ(s.tcp().connection_pool().failures, 2u);
  EXPECT_EQ(s.tcp().connection_pool().reserved, 1u);

  // A slot comes free (the handle goes with the aborted connection): the
  // peer's next ACK completes the waiting entry.
  {
    auto c = l.accept();
    ASSERT_TRUE(c);
    c->abort();
  }
  s.expect(10ms, RST | ACK, s.iss() + 1, 1001);
  s.inject(ack2);
  s.expect_silence_until(20ms);
  EXPECT_EQ(l.accept_queue_size(), 1u);
  EXPECT_EQ(l.counters().pool_full_drops, 1u);
  EXPECT_EQ(l.counters().established, 2u);
}
