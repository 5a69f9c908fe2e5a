// Connection teardown (RFC 9293 §3.6): four-way close from either side,
// half-close, simultaneous close through CLOSING, TIME-WAIT in its
// mini-socket, resets on close with unread data and on abort.
#include <gtest/gtest.h>

#include "support/segment_script.hpp"

using namespace synack;
using namespace synack::testing;
using namespace std::chrono_literals;

TEST(ScriptClose, ActiveCloseFourWayThenTimeWaitForTwoMsl) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  c.close();
  s.flush();
  EXPECT_EQ(c.state(), tcp::TcpState::FinWait1);
  s.expect(0s, FIN | ACK, s.iss() + 1, 1001);
  s.run_until(10ms);
  s.inject(Seg::make(ACK, 1001, s.iss() + 2));
  EXPECT_EQ(c.state(), tcp::TcpState::FinWait2);
  s.run_until(20ms);
  s.inject(Seg::make(FIN | ACK, 1001, s.iss() + 2));
  s.expect(20ms, ACK, s.iss() + 2, 1002);
  EXPECT_EQ(c.state(), tcp::TcpState::TimeWait);
  EXPECT_EQ(s.tcp().time_wait().size(), 1u);
  EXPECT_EQ(s.tcp().connection_count(), 0u);  // the full connection is gone
  s.expect_silence_until(60s + 19ms);
  EXPECT_EQ(s.tcp().time_wait().size(), 1u);
  s.run_until(60s + 20ms);  // 2 * MSL (30 s)
  EXPECT_EQ(s.tcp().time_wait().size(), 0u);
  // Now nothing knows the 4-tuple: RFC 9293 §3.10.7.1.
  s.inject(Seg::make(ACK, 1002, s.iss() + 2));
  s.expect(60s + 20ms, RST, s.iss() + 2, 0);
}

TEST(ScriptClose, PassiveCloseThroughCloseWaitAndLastAck) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::make(FIN | ACK, 1001, s.iss() + 1));
  s.expect(0s, ACK, s.iss() + 1, 1002);
  EXPECT_EQ(c.state(), tcp::TcpState::CloseWait);
  EXPECT_TRUE(c.at_eof());
  c.write("bye");  // CLOSE-WAIT can still send
  c.close();
  s.flush();
  EXPECT_EQ(c.state(), tcp::TcpState::LastAck);
  Out fin = s.expect(0s, FIN | PSH | ACK, s.iss() + 1, 1002);
  EXPECT_EQ(fin.data, "bye");
  s.inject(Seg::make(ACK, 1002, s.iss() + 5));
  EXPECT_EQ(c.state(), tcp::TcpState::Closed);
  EXPECT_EQ(c.error(), socket::SocketError::None);
  EXPECT_EQ(s.tcp().time_wait().size(), 0u);  // TIME-WAIT only on the closer
}

TEST(ScriptClose, LastAckRetransmitsFin) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::make(FIN | ACK, 1001, s.iss() + 1));
  s.expect(0s, ACK, s.iss() + 1, 1002);
  c.close();
  s.flush();
  s.expect(0s, FIN | ACK, s.iss() + 1, 1002);
  s.expect(200ms, FIN | ACK, s.iss() + 1, 1002);
  s.inject(Seg::make(ACK, 1002, s.iss() + 2));
  EXPECT_EQ(c.state(), tcp::TcpState::Closed);
}

TEST(ScriptClose, HalfCloseKeepsReading) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  c.shutdown();
  s.flush();
  s.expect(0s, FIN | ACK, s.iss() + 1, 1001);
  s.inject(Seg::make(ACK, 1001, s.iss() + 2));
  EXPECT_EQ(c.state(), tcp::TcpState::FinWait2);
  s.inject(Seg::make(PSH | ACK, 1001, s.iss() + 2, "still talking"));
  s.expect(0s, ACK, s.iss() + 2, 1014);
  EXPECT_EQ(c.readable(), 13u);
  EXPECT_EQ(c.write("x"), 0u);  // our side is closed
  s.inject(Seg::make(FIN | ACK, 1014, s.iss() + 2));
  s.expect(0s, ACK, s.iss() + 2, 1015);
  EXPECT_EQ(c.state(), tcp::TcpState::TimeWait);
}

TEST(ScriptClose, SimultaneousCloseThroughClosing) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  c.close();
  s.flush();
  s.expect(0s, FIN | ACK, s.iss() + 1, 1001);
  // The peer's FIN crossed ours: it does not acknowledge our FIN.
  s.inject(Seg::make(FIN | ACK, 1001, s.iss() + 1));
  EXPECT_EQ(c.state(), tcp::TcpState::Closing);
  s.expect(0s, ACK, s.iss() + 2, 1002);
  s.inject(Seg::make(ACK, 1002, s.iss() + 2));
  EXPECT_EQ(c.state(), tcp::TcpState::TimeWait);
  EXPECT_EQ(s.tcp().time_wait().size(), 1u);
}

TEST(ScriptClose, ClosingRetransmitsFinUntilAcked) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  c.close();
  s.flush();
  s.expect(0s, FIN | ACK, s.iss() + 1, 1001);
  s.inject(Seg::make(FIN | ACK, 1001, s.iss() + 1));
  s.expect(0s, ACK, s.iss() + 2, 1002);
  s.expect(200ms, FIN | ACK, s.iss() + 1, 1002);
}

TEST(ScriptClose, FinWait1StraightToTimeWaitWhenFinAcksOurs) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  c.close();
  s.flush();
  s.expect(0s, FIN | ACK, s.iss() + 1, 1001);
  s.inject(Seg::make(FIN | ACK, 1001, s.iss() + 2));
  s.expect(0s, ACK, s.iss() + 2, 1002);
  EXPECT_EQ(c.state(), tcp::TcpState::TimeWait);
}

namespace {
// Brings a passively opened connection to TIME-WAIT at t = 0.
void to_time_wait(SegmentScript& s, socket::TcpStream& c) {
  c.close();
  s.flush();
  s.expect(0s, FIN | ACK, s.iss() + 1, 1001);
  s.inject(Seg::make(FIN | ACK, 1001, s.iss() + 2));
  s.expect(0s, ACK, s.iss() + 2, 1002);
  ASSERT_EQ(s.tcp().time_wait().size(), 1u);
}
}  // namespace

TEST(ScriptClose, TimeWaitReAcksRetransmittedFinAndRestartsTimer) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  to_time_wait(s, c);
  s.run_until(30s);
  s.inject(Seg::make(FIN | ACK, 1001, s.iss() + 2));  // our last ACK was lost
  s.expect(30s, ACK, s.iss() + 2, 1002);
  s.run_until(61s);
  EXPECT_EQ(s.tcp().time_wait().size(), 1u);  // restarted at 30 s
  s.run_until(90s);
  EXPECT_EQ(s.tcp().time_wait().size(), 0u);
}

TEST(ScriptClose, TimeWaitExactRstEndsItOthersAreDroppedSilently) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  to_time_wait(s, c);
  // TIME-WAIT's window is closed: a RST anywhere but RCV.NXT is outside it
  // and dropped without an answer (RFC 5961 §3.2). An ACK here would draw an
  // exact RST from the closed peer (RFC 1337 H2).
  s.inject(Seg::make(RST, 1050, 0));
  s.inject(Seg::make(RST, 1003, 0));
  s.inject(Seg::make(RST | ACK, 900, s.iss() + 2));
  s.expect_silence_until(1s);
  EXPECT_EQ(s.tcp().time_wait().size(), 1u);
  s.inject(Seg::make(RST, 1002, 0));
  EXPECT_EQ(s.tcp().time_wait().size(), 0u);
}

TEST(ScriptClose, TimeWaitNewSynWithHigherSeqReopens) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  to_time_wait(s, c);
  s.run_until(1s);
  s.inject(Seg::syn(900));  // not beyond the old sequence space
  s.expect(1s, ACK, s.iss() + 2, 1002);
  s.inject(Seg::syn(100'000));  // RFC 1122 §4.2.2.13
  s.expect_any_seq(1s, SYN | ACK, 100'001);
  EXPECT_EQ(s.tcp().time_wait().size(), 0u);
  EXPECT_EQ(l.syn_queue_size(), 1u);
}

TEST(ScriptClose, CloseWithUnreadDataResets) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::make(PSH | ACK, 1001, s.iss() + 1, "unread"));
  s.expect(0s, ACK, s.iss() + 1, 1007);
  c.close();  // RFC 2525 §2.17
  s.flush();
  // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=RST,ACK>, as Linux's tcp_send_active_reset.
  s.expect(0s, RST | ACK, s.iss() + 1, 1007);
  EXPECT_EQ(c.state(), tcp::TcpState::Closed);
}

TEST(ScriptClose, DataAfterCloseResets) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  c.close();
  s.flush();
  s.expect(0s, FIN | ACK, s.iss() + 1, 1001);
  s.inject(Seg::make(PSH | ACK, 1001, s.iss() + 2, "late"));
  s.expect(0s, RST, s.iss() + 2, 0);  // <SEQ=SEG.ACK><CTL=RST>, as Linux
  EXPECT_EQ(c.state(), tcp::TcpState::Closed);
}

TEST(ScriptClose, AbortSendsRstAndDropsQueuedData) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, "", 0));  // zero window: data stays queued
  c.write("queued");
  c.abort();
  s.flush();
  s.expect(0s, RST | ACK, s.iss() + 1, 1001);
  EXPECT_EQ(c.error(), socket::SocketError::Aborted);
  s.expect_silence_until(5s);
}

TEST(ScriptClose, OrphanedFinWait2TimesOut) {
  SegmentScript s;
  auto l = s.listen();
  {
    auto c = s.established_passive(l);
    c.close();
    s.flush();
    s.expect(0s, FIN | ACK, s.iss() + 1, 1001);
    s.inject(Seg::make(ACK, 1001, s.iss() + 2));
    EXPECT_EQ(c.state(), tcp::TcpState::FinWait2);
  }  // the handle is dropped: the connection is an orphan
  s.run_until(59s);
  EXPECT_EQ(s.tcp().connection_count(), 1u);
  s.run_until(60s);  // tcp_fin_timeout
  EXPECT_EQ(s.tcp().connection_count(), 0u);
  EXPECT_EQ(s.tcp().connection_pool().live, 0u);
}

TEST(ScriptClose, FinAheadOfMissingDataWaitsForTheGap) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::make(FIN | ACK, 1006, s.iss() + 1, "world"));
  s.expect(0s, ACK, s.iss() + 1, 1001);
  EXPECT_EQ(c.state(), tcp::TcpState::Established);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, "hello"));
  s.expect(0s, ACK, s.iss() + 1, 1012);
  EXPECT_EQ(c.state(), tcp::TcpState::CloseWait);
  EXPECT_EQ(c.readable(), 10u);
}

TEST(ScriptClose, SegmentsToClosedPortGetResets) {
  SegmentScript s;
  auto l = s.listen(80);
  Seg syn = Seg::syn(1000);
  syn.dst_port = 81;
  s.inject(syn);
  s.expect(0s, RST | ACK, 0, 1001);  // <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
  Seg data = Seg::make(PSH, 500, 0, "abc");
  data.dst_port = 81;
  s.inject(data);
  s.expect(0s, RST | ACK, 0, 503);
  Seg ack = Seg::make(ACK, 1, 4242);
  ack.dst_port = 81;
  s.inject(ack);
  s.expect(0s, RST, 4242, 0);  // <SEQ=SEG.ACK><CTL=RST>
  Seg rst = Seg::make(RST, 1, 0);
  rst.dst_port = 81;
  s.inject(rst);
  s.expect_silence_until(1s);  // never answer a RST
}

TEST(ScriptClose, ListenerCloseTakesListenToClosed) {
  SegmentScript s;
  auto l = s.listen(80);
  l.close();
  s.inject(Seg::syn(1000));
  s.expect(0s, RST | ACK, 0, 1001);
}
