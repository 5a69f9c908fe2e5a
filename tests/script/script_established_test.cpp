// ESTABLISHED: RST and SYN validation (RFC 5961), data, windows, ACK checks
// and retransmission on the virtual clock.
#include <gtest/gtest.h>

#include <cstring>

#include "support/segment_script.hpp"

using namespace synack;
using namespace synack::testing;
using namespace std::chrono_literals;

namespace {
std::string read_all(socket::TcpStream& c) {
  std::string out(c.readable(), '\0');
  c.read(std::span(reinterpret_cast<std::uint8_t*>(out.data()), out.size()));
  return out;
}
}  // namespace

TEST(ScriptEstablished, ExactRstResets) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::make(RST, 1001, 0));
  EXPECT_EQ(c.state(), tcp::TcpState::Closed);
  EXPECT_EQ(c.error(), socket::SocketError::Reset);
  s.expect_silence_until(5s);
}

TEST(ScriptEstablished, InWindowRstGetsChallengeAck) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::make(RST, 1011, 0));
  s.expect(0s, ACK, s.iss() + 1, 1001);  // RFC 5961 §3.2
  EXPECT_EQ(c.state(), tcp::TcpState::Established);
}

TEST(ScriptEstablished, OutOfWindowRstIsDropped) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::make(RST, 1001 + 10'000'000, 0));
  s.expect_silence_until(1s);
  EXPECT_EQ(c.state(), tcp::TcpState::Established);
}

TEST(ScriptEstablished, SynGetsChallengeAck) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::syn(1001));              // in window
  s.expect(0s, ACK, s.iss() + 1, 1001);  // RFC 5961 §4.2
  s.run_until(500ms);                    // past the per-connection limit (§7)
  s.inject(Seg::syn(99));                // outside the window
  s.expect(500ms, ACK, s.iss() + 1, 1001);
  EXPECT_EQ(c.state(), tcp::TcpState::Established);
}

TEST(ScriptEstablished, InOrderDataIsAckedWithTheWindowThatIsLeft) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::make(PSH | ACK, 1001, s.iss() + 1, "hello"));
  Out a = s.expect(0s, ACK, s.iss() + 1, 1006);
  // No window scaling was negotiated: free space, capped at 65535.
  EXPECT_EQ(a.win, 65535);
  EXPECT_EQ(read_all(c), "hello");
}

TEST(ScriptEstablished, ScaledWindowShrinksByWhatArrives) {
  SegmentScript s;
  auto l = s.listen();
  Seg syn = Seg::syn(1000);
  syn.opts.window_scale = 2;
  s.inject(syn);
  s.expect(0s, SYN | ACK, s.iss(), 1001);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1));
  auto c = l.accept();
  ASSERT_TRUE(c);
  std::string data(1000, 'x');
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, data));
  Out a = s.expect(0s, ACK, s.iss() + 1, 2001);
  EXPECT_EQ(a.win, (6 * 1024 * 1024 - 1000) >> 7);  // our shift is 7 (6 MiB buffer)
}

TEST(ScriptEstablished, OutOfOrderSegmentHeldUntilGapFills) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::make(ACK, 1006, s.iss() + 1, "world"));
  s.expect(0s, ACK, s.iss() + 1, 1001);  // duplicate ACK: the gap
  EXPECT_EQ(c.readable(), 0u);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, "hello"));
  s.expect(0s, ACK, s.iss() + 1, 1011);
  EXPECT_EQ(read_all(c), "helloworld");
}

TEST(ScriptEstablished, OverlappingRetransmissionTrimmed) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, "abc"));
  s.expect(0s, ACK, s.iss() + 1, 1004);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, "abcdef"));
  s.expect(0s, ACK, s.iss() + 1, 1007);
  EXPECT_EQ(read_all(c), "abcdef");
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, "abc"));  // all old: re-ACK
  s.expect(0s, ACK, s.iss() + 1, 1007);
}

TEST(ScriptEstablished, AckForUnsentDataIsAnsweredAndDropped) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1000, "data"));
  s.expect(0s, ACK, s.iss() + 1, 1001);  // RFC 9293 §3.10.7.4 fifth check
  EXPECT_EQ(c.readable(), 0u);
}

TEST(ScriptEstablished, SegmentWithoutAckIsDropped) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::make(PSH, 1001, 0, "data"));
  s.expect_silence_until(1s);
  EXPECT_EQ(c.readable(), 0u);
}

TEST(ScriptEstablished, RetransmitOnRtoWithBackoff) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);  // RTT sample ~0: RTO clamps to 200 ms
  EXPECT_EQ(c.connection().rtt().rto(), 200ms);
  c.write("abc");
  s.flush();
  Out first = s.expect(0s, PSH | ACK, s.iss() + 1, 1001);
  EXPECT_EQ(first.data, "abc");
  s.expect(200ms, PSH | ACK, s.iss() + 1, 1001);  // RFC 6298 §5.4-5.6
  s.expect(600ms, PSH | ACK, s.iss() + 1, 1001);  // doubled
  s.inject(Seg::make(ACK, 1001, s.iss() + 4));
  s.expect_silence_until(5s);  // all acknowledged: timer off
  EXPECT_EQ(c.connection().stats().retransmits, 2u);
}

TEST(ScriptEstablished, ConnectionTimesOutAfterRetries2) {
  tcp::TcpConfig cfg;
  cfg.retries2 = 3;
  SegmentScript s(cfg);
  auto l = s.listen();
  auto c = s.established_passive(l);
  c.write("abc");
  s.flush();
  s.expect(0s, PSH | ACK, s.iss() + 1, 1001);
  s.expect(200ms, PSH | ACK, s.iss() + 1, 1001);
  s.expect(600ms, PSH | ACK, s.iss() + 1, 1001);
  s.expect(1400ms, PSH | ACK, s.iss() + 1, 1001);
  s.expect_silence_until(3000ms);
  EXPECT_EQ(c.state(), tcp::TcpState::Closed);
  EXPECT_EQ(c.error(), socket::SocketError::TimedOut);
}

TEST(ScriptEstablished, PeerWindowLimitsWhatIsSent) {
  SegmentScript s;
  auto l = s.listen();
  s.inject(Seg::syn(1000));
  s.expect(0s, SYN | ACK, s.iss(), 1001);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, "", 10));  // window 10
  auto c = l.accept();
  ASSERT_TRUE(c);
  c->write(std::string(25, 'z'));
  s.flush();
  Out o = s.expect(0s, ACK, s.iss() + 1, 1001);
  EXPECT_EQ(o.data.size(), 10u);
  s.expect_silence_until(100ms);
  s.inject(Seg::make(ACK, 1001, s.iss() + 11, "", 10));
  Out o2 = s.expect(100ms, ACK, s.iss() + 11, 1001);
  EXPECT_EQ(o2.data.size(), 10u);
}

TEST(ScriptEstablished, ZeroWindowProbesBackOffThenDataFlows) {
  SegmentScript s;
  auto l = s.listen();
  s.inject(Seg::syn(1000));
  s.expect(0s, SYN | ACK, s.iss(), 1001);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, "", 0));  // zero window
  auto c = l.accept();
  c->write("payload");
  s.flush();
  // Probes (RFC 9293 §3.8.6.1): an old sequence number, no data.
  s.expect(200ms, ACK, s.iss(), 1001);
  s.expect(600ms, ACK, s.iss(), 1001);
  s.expect(1400ms, ACK, s.iss(), 1001);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, "", 100));  // window opens
  Out d = s.expect(1400ms, PSH | ACK, s.iss() + 1, 1001);
  EXPECT_EQ(d.data, "payload");
}

TEST(ScriptEstablished, ReceiverAdvertisesZeroWindowWhenFullAndUpdatesAfterRead) {
  tcp::TcpConfig cfg;
  cfg.recv_buffer = 4000;
  SegmentScript s(cfg);
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, std::string(4000, 'a')));
  Out a = s.expect(0s, ACK, s.iss() + 1, 5001);
  EXPECT_EQ(a.win, 0);
  s.inject(Seg::make(ACK, 5001, s.iss() + 1, "b"));  // beyond the window
  s.expect(0s, ACK, s.iss() + 1, 5001);
  std::uint8_t buf[4000];
  EXPECT_EQ(c.read(buf), 4000u);
  s.flush();
  Out upd = s.expect(0s, ACK, s.iss() + 1, 5001);  // window update
  EXPECT_EQ(upd.win, 4000);
}

TEST(ScriptEstablished, ZeroCopyWriteSendsTheBytesWrittenInPlace) {
  tcp::TcpConfig cfg;
  cfg.send_buffer = 8;
  SegmentScript s(cfg);
  auto l = s.listen();
  auto c = s.established_passive(l);
  // Nothing is sent until commit(), and only what was committed.
  std::span<std::uint8_t> v = c.write_view(5);
  ASSERT_EQ(v.size(), 5u);
  std::memcpy(v.data(), "hello", 5);
  EXPECT_EQ(c.commit(3), 3u);
  s.flush();
  Out a = s.expect(0s, PSH | ACK, s.iss() + 1, 1001);
  EXPECT_EQ(a.data, "hel");
  // The view never reaches past the send buffer: 5 of 8 bytes are free.
  v = c.write_view(100);
  EXPECT_EQ(v.size(), 5u);
  EXPECT_EQ(c.writable(), 5u);
  // A half-closed stream has no write space.
  c.shutdown();
  EXPECT_TRUE(c.write_view(1).empty());
  EXPECT_EQ(c.commit(1), 0u);
}

TEST(ScriptEstablished, ZeroCopyReadSeesTheBytesInPlaceAndConsumeOpensTheWindow) {
  tcp::TcpConfig cfg;
  cfg.recv_buffer = 4096;
  SegmentScript s(cfg);
  auto l = s.listen();
  auto c = s.established_passive(l);
  s.inject(Seg::make(PSH | ACK, 1001, s.iss() + 1, "hello world"));
  Out a = s.expect(0s, ACK, s.iss() + 1, 1012);
  EXPECT_EQ(a.win, 4096 - 11);
  std::span<const std::uint8_t> v = c.read_view();
  ASSERT_EQ(v.size(), 11u);
  EXPECT_EQ(std::string(v.begin(), v.end()), "hello world");
  EXPECT_EQ(c.consume(6), 6u);
  v = c.read_view();
  EXPECT_EQ(std::string(v.begin(), v.end()), "world");
  EXPECT_EQ(c.readable(), 5u);
  s.inject(Seg::make(ACK, 1012, s.iss() + 1, std::string(1460, 'x')));
  Out b = s.expect(0s, ACK, s.iss() + 1, 2472);
  // The 6 bytes consumed were too few to move the right edge (receiver SWS
  // avoidance): the window is the old edge less the new bytes.
  EXPECT_EQ(b.win, 4096 - 11 - 1460);
  // Consuming is reading: once the edge can move by an MSS, the window
  // update goes out at once, as after read().
  EXPECT_EQ(c.consume(c.readable()), 1465u);
  EXPECT_TRUE(c.read_view().empty());
  s.flush();
  Out u = s.expect(0s, ACK, s.iss() + 1, 2472);
  EXPECT_EQ(u.win, 4096);
}
