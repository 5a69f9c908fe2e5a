// One script per arc of RFC 9293's state diagram (§3.3.2, Figure 5), each
// starting from the fixture for its state and checking the exact segment the
// transition sends (or that it sends nothing).
#include <gtest/gtest.h>

#include "support/segment_script.hpp"

using namespace synack;
using namespace synack::testing;
using namespace std::chrono_literals;
using tcp::TcpState;

TEST(ScriptStateDiagram, Closed_To_Listen_OnPassiveOpen) {
  SegmentScript s;
  auto l = s.listen(80);
  EXPECT_EQ(s.tcp().find_listener(SegmentScript::kOurAddr, 80) != nullptr, true);
  s.expect_silence_until(1s);
}

TEST(ScriptStateDiagram, Closed_To_SynSent_SendsSyn) {
  SegmentScript s;
  auto c = s.syn_sent();
  EXPECT_EQ(c.state(), TcpState::SynSent);
}

TEST(ScriptStateDiagram, Listen_To_SynReceived_OnSyn_SendsSynAck) {
  SegmentScript s;
  auto l = s.listen();
  s.inject(Seg::syn(1000));
  s.expect(0s, SYN | ACK, s.iss(), 1001);
  EXPECT_EQ(l.syn_queue_size(), 1u);
}

TEST(ScriptStateDiagram, SynSent_To_SynReceived_OnSyn_SendsSynAck) {
  SegmentScript s;
  auto c = s.syn_received_active();
  EXPECT_EQ(c.state(), TcpState::SynReceived);
}

TEST(ScriptStateDiagram, SynSent_To_Established_OnSynAck_SendsAck) {
  SegmentScript s;
  auto c = s.syn_sent();
  s.inject(Seg::make(SYN | ACK, 5000, s.iss() + 1));
  s.expect(0s, ACK, s.iss() + 1, 5001);
  EXPECT_EQ(c.state(), TcpState::Established);
}

TEST(ScriptStateDiagram, SynSent_To_Closed_OnClose) {
  SegmentScript s;
  auto c = s.syn_sent();
  c.close();
  s.expect_silence_until(200s);
  EXPECT_EQ(c.state(), TcpState::Closed);
}

TEST(ScriptStateDiagram, SynReceived_To_Established_OnAck) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  EXPECT_EQ(c.state(), TcpState::Established);
  s.expect_silence_until(1s);
}

TEST(ScriptStateDiagram, SynReceived_To_Listen_OnRst) {
  SegmentScript s;
  auto l = s.listen();
  s.inject(Seg::syn(1000));
  s.expect(0s, SYN | ACK, s.iss(), 1001);
  s.inject(Seg::make(RST, 1001, 0));
  EXPECT_EQ(l.syn_queue_size(), 0u);
  EXPECT_NE(s.tcp().find_listener(SegmentScript::kOurAddr, 80), nullptr);
}

TEST(ScriptStateDiagram, SynReceived_To_FinWait1_OnClose) {
  SegmentScript s;
  auto c = s.syn_received_active();
  c.shutdown();
  s.inject(Seg::make(ACK, 7001, s.iss() + 1));
  s.expect(0s, FIN | ACK, s.iss() + 1, 7001);
  EXPECT_EQ(c.state(), TcpState::FinWait1);
}

TEST(ScriptStateDiagram, Established_To_FinWait1_OnClose_SendsFin) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.fin_wait_1(l);
  EXPECT_EQ(c.state(), TcpState::FinWait1);
}

TEST(ScriptStateDiagram, Established_To_CloseWait_OnFin_SendsAck) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.close_wait(l);
  EXPECT_TRUE(c.at_eof());
}

TEST(ScriptStateDiagram, FinWait1_To_FinWait2_OnAckOfFin) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.fin_wait_2(l);
  s.expect_silence_until(1s);  // nothing to send, nothing to retransmit
}

TEST(ScriptStateDiagram, FinWait1_To_Closing_OnFin_SendsAck) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.closing(l);
  EXPECT_EQ(c.state(), TcpState::Closing);
}

TEST(ScriptStateDiagram, FinWait1_To_TimeWait_OnFinAck_SendsAck) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.fin_wait_1(l);
  s.inject(Seg::make(FIN | ACK, 1001, s.iss() + 2));
  s.expect(0s, ACK, s.iss() + 2, 1002);
  EXPECT_EQ(c.state(), TcpState::TimeWait);
}

TEST(ScriptStateDiagram, FinWait2_To_TimeWait_OnFin_SendsAck) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.time_wait(l);
  EXPECT_EQ(s.tcp().time_wait().size(), 1u);
}

TEST(ScriptStateDiagram, Closing_To_TimeWait_OnAckOfFin) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.closing(l);
  s.inject(Seg::make(ACK, 1002, s.iss() + 2));
  EXPECT_EQ(c.state(), TcpState::TimeWait);
  s.expect_silence_until(1s);
}

TEST(ScriptStateDiagram, CloseWait_To_LastAck_OnClose_SendsFin) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.last_ack(l);
  EXPECT_EQ(c.state(), TcpState::LastAck);
}

TEST(ScriptStateDiagram, LastAck_To_Closed_OnAckOfFin) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.last_ack(l);
  s.inject(Seg::make(ACK, 1002, s.iss() + 2));
  EXPECT_EQ(c.state(), TcpState::Closed);
  s.expect_silence_until(5s);
}

TEST(ScriptStateDiagram, TimeWait_To_Closed_After2Msl) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.time_wait(l);
  s.expect_silence_until(59s);
  EXPECT_EQ(s.tcp().time_wait().size(), 1u);
  s.run_until(60s);
  EXPECT_EQ(s.tcp().time_wait().size(), 0u);
}

TEST(ScriptStateDiagram, Listen_To_Closed_OnClose) {
  SegmentScript s;
  auto l = s.listen();
  l.close();
  EXPECT_EQ(s.tcp().find_listener(SegmentScript::kOurAddr, 80), nullptr);
}
