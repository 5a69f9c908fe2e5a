// Keepalive (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6) with Linux's behaviour:
// probes of SND.NXT - 1 after the idle time, every interval, then a reset.
#include <gtest/gtest.h>

#include "support/segment_script.hpp"

using namespace synack;
using namespace synack::testing;
using namespace std::chrono_literals;

TEST(ScriptKeepalive, UnansweredProbesEndTheConnectionWithReset) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  c.set_keepalive(true, 10s, 2s, 3);
  s.expect_silence_until(9999ms);
  s.expect(10s, ACK, s.iss(), 1001);  // SEG.SEQ = SND.NXT - 1, no data
  s.expect(12s, ACK, s.iss(), 1001);
  s.expect(14s, ACK, s.iss(), 1001);
  s.expect(16s, RST | ACK, s.iss() + 1, 1001);  // as Linux's tcp_send_active_reset
  EXPECT_EQ(c.state(), tcp::TcpState::Closed);
  EXPECT_EQ(c.error(), socket::SocketError::TimedOut);
  EXPECT_EQ(c.info().stats.keepalive_probes, 3u);
}

TEST(ScriptKeepalive, AnAnsweredProbeRestartsTheIdleTime) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  c.set_keepalive(true, 10s, 2s, 3);
  s.expect(10s, ACK, s.iss(), 1001);
  s.run_until(10100ms);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1));  // the peer is alive
  s.expect_silence_until(20099ms);
  s.expect(20100ms, ACK, s.iss(), 1001);
  EXPECT_EQ(c.state(), tcp::TcpState::Established);
}

TEST(ScriptKeepalive, TrafficPostponesTheFirstProbe) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  c.set_keepalive(true, 10s, 2s, 3);
  s.run_until(6s);
  s.inject(Seg::make(PSH | ACK, 1001, s.iss() + 1, "hi"));
  s.expect(6s, ACK, s.iss() + 1, 1003);
  s.expect_silence_until(15999ms);
  s.expect(16s, ACK, s.iss(), 1003);
}

TEST(ScriptKeepalive, OffByDefaultLikeLinux) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.expect_silence_until(std::chrono::hours(3));
  EXPECT_EQ(c.state(), tcp::TcpState::Established);
}
