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
