// Active open (RFC 9293 §3.5, §3.10.7.3) as segment scripts.
#include <gtest/gtest.h>

#include "support/segment_script.hpp"

using namespace synack;
using namespace synack::testing;
using namespace std::chrono_literals;

TEST(ScriptActiveOpen, HandshakeSendsExactSynAndAck) {
  SegmentScript s;
  auto c = s.stack().connect(SegmentScript::kPeerAddr, SegmentScript::kPeerPort);
  ASSERT_TRUE(c);
  s.flush();
  Out syn = s.expect(0s, SYN, s.iss(), 0);
  EXPECT_EQ(syn.opts.mss, 1460);
  EXPECT_EQ(syn.win, 65535);  // never scaled in a SYN (RFC 7323 §2.2)
  EXPECT_TRUE(syn.opts.window_scale.has_value());
  EXPECT_EQ(c->state(), tcp::TcpState::SynSent);
  s.set_our_port(syn.src_port);
  s.run_until(100ms);
  Seg sa = Seg::make(SYN | ACK, 7000, s.iss() + 1);
  sa.opts.mss = 1000;
  s.inject(sa);
  s.expect(100ms, ACK, s.iss() + 1, 7001);
  EXPECT_EQ(c->state(), tcp::TcpState::Established);
  EXPECT_EQ(c->connection().snd().mss, 1000);  // min(ours, peer's)
  // RTT sample from the handshake: 100 ms -> RTO = 100 + 4 * 50 = 300 ms.
  EXPECT_EQ(c->connection().rtt().rto(), 300ms);
}

TEST(ScriptActiveOpen, SynRetransmitScheduleThenTimeout) {
  SegmentScript s;
  auto c = s.stack().connect(SegmentScript::kPeerAddr, SegmentScript::kPeerPort);
  s.flush();
  s.expect(0s, SYN, s.iss(), 0);
  // syn_retries 6, initial RTO 1 s doubling: 1, 3, 7, 15, 31, 63 s.
  for (auto t : {1s, 3s, 7s, 15s, 31s, 63s})
    s.expect(t, SYN, s.iss(), 0);
  s.expect_silence_until(126s);
  EXPECT_EQ(c->state(), tcp::TcpState::SynSent);
  s.expect_silence_until(127s);
  EXPECT_EQ(c->state(), tcp::TcpState::Closed);
  EXPECT_EQ(c->error(), socket::SocketError::TimedOut);
  s.expect_silence_until(300s);
}

namespace {
// connect() and take the SYN; returns the stream in SYN-SENT.
socket::TcpStream syn_sent(SegmentScript& s) {
  auto c = s.stack().connect(SegmentScript::kPeerAddr, SegmentScript::kPeerPort);
  EXPECT_TRUE(c);
  s.flush();
  Out syn = s.expect(s.elapsed(), SYN, s.iss(), 0);
  s.set_our_port(syn.src_port);
  return std::move(*c);
}
}  // namespace

TEST(ScriptActiveOpen, OldDuplicateSynAckGetsResetWithSeqEqualToItsAck) {
  SegmentScript s;
  auto c = syn_sent(s);
  // A SYN-ACK acknowledging something we never sent (an old duplicate,
  // RFC 9293 §3.5 Figure 9): answer <SEQ=SEG.ACK><CTL=RST>, stay in SYN-SENT.
  s.inject(Seg::make(SYN | ACK, 7000, s.iss() + 5000));
  s.expect(0s, RST, s.iss() + 5000, 0);
  EXPECT_EQ(c.state(), tcp::TcpState::SynSent);
  s.inject(Seg::make(SYN | ACK, 8000, s.iss() + 1));
  s.expect(0s, ACK, s.iss() + 1, 8001);
  EXPECT_EQ(c.state(), tcp::TcpState::Established);
}

TEST(ScriptActiveOpen, AckAtIssIsUnacceptableToo) {
  SegmentScript s;
  auto c = syn_sent(s);
  s.inject(Seg::make(SYN | ACK, 7000, s.iss()));  // SEG.ACK =< ISS
  s.expect(0s, RST, s.iss(), 0);
  EXPECT_EQ(c.state(), tcp::TcpState::SynSent);
}

TEST(ScriptActiveOpen, RstAcknowledgingOurSynMeansRefused) {
  SegmentScript s;
  auto c = syn_sent(s);
  s.inject(Seg::make(RST | ACK, 0, s.iss() + 1));
  EXPECT_EQ(c.state(), tcp::TcpState::Closed);
  EXPECT_EQ(c.error(), socket::SocketError::Refused);
  s.expect_silence_until(10s);  // no more SYNs
}

TEST(ScriptActiveOpen, RstWithoutAcceptableAckIsIgnored) {
  SegmentScript s;
  auto c = syn_sent(s);
  s.inject(Seg::make(RST, 0, 0));                   // no ACK bit: RFC 5961 §3.2
  s.inject(Seg::make(RST | ACK, 0, s.iss() + 99));  // wrong ACK
  EXPECT_EQ(c.state(), tcp::TcpState::SynSent);
  s.expect(1s, SYN, s.iss(), 0);  // still retrying
}

TEST(ScriptActiveOpen, SimultaneousOpen) {
  SegmentScript s;
  auto c = syn_sent(s);
  // Both sides sent SYN (RFC 9293 Figure 8): ours crossed theirs.
  Seg syn = Seg::syn(7000);
  s.inject(syn);
  s.expect(0s, SYN | ACK, s.iss(), 7001);
  EXPECT_EQ(c.state(), tcp::TcpState::SynReceived);
  s.inject(Seg::make(SYN | ACK, 7000, s.iss() + 1));
  EXPECT_EQ(c.state(), tcp::TcpState::Established);
  s.expect_silence_until(500ms);
  c.write("x");
  s.flush();
  s.expect(500ms, PSH | ACK, s.iss() + 1, 7001);
}

TEST(ScriptActiveOpen, SimultaneousOpenSynAckRetransmitted) {
  SegmentScript s;
  auto c = syn_sent(s);
  s.inject(Seg::syn(7000));
  s.expect(0s, SYN | ACK, s.iss(), 7001);
  s.expect(1s, SYN | ACK, s.iss(), 7001);  // our SYN-ACK unanswered
  s.inject(Seg::make(ACK, 7001, s.iss() + 1));
  EXPECT_EQ(c.state(), tcp::TcpState::Established);
}

TEST(ScriptActiveOpen, CloseInSynReceivedQueuesFinUntilEstablished) {
  SegmentScript s;
  auto c = syn_sent(s);
  s.inject(Seg::syn(7000));
  s.expect(0s, SYN | ACK, s.iss(), 7001);
  c.shutdown();
  s.flush();
  EXPECT_EQ(c.state(), tcp::TcpState::SynReceived);
  s.inject(Seg::make(ACK, 7001, s.iss() + 1));
  EXPECT_EQ(c.state(), tcp::TcpState::FinWait1);  // RFC 9293 §3.10.4
  s.expect(0s, FIN | ACK, s.iss() + 1, 7001);
}

TEST(ScriptActiveOpen, CloseInSynSentGoesClosedSilently) {
  SegmentScript s;
  auto c = syn_sent(s);
  c.close();
  s.flush();
  EXPECT_EQ(c.state(), tcp::TcpState::Closed);
  s.expect_silence_until(5s);
}

TEST(ScriptActiveOpen, SynAckCarryingDataIsDelivered) {
  SegmentScript s;
  auto c = syn_sent(s);
  Seg sa = Seg::make(SYN | ACK, 7000, s.iss() + 1, "early");
  s.inject(sa);
  s.expect(0s, ACK, s.iss() + 1, 7006);
  EXPECT_EQ(c.readable(), 5u);
}
