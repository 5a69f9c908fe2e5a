// Delayed ACKs (RFC 9293 §3.8.6.3, RFC 5681 §4.2) as Linux times them: quick
// ACKs while the connection is young, then 40 ms, at most 200 ms, every
// second full-sized segment at once, and data carrying the ACK for free.
#include <gtest/gtest.h>

#include "support/segment_script.hpp"

using namespace synack;
using namespace synack::testing;
using namespace std::chrono_literals;

namespace {
// Sends 16 one-byte segments, each ACKed at once: Linux's quick-ACK start.
std::uint32_t use_up_quick_acks(SegmentScript& s, std::uint32_t seq) {
  for (int i = 0; i < 16; ++i) {
    s.inject(Seg::make(ACK, seq, s.iss() + 1, "q"));
    s.expect(s.elapsed(), ACK, s.iss() + 1, seq + 1);
    ++seq;
  }
  return seq;
}
}  // namespace

TEST(ScriptDelayedAck, QuickAcksFirstThenFortyMilliseconds) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  std::uint32_t seq = use_up_quick_acks(s, 1001);
  s.run_until(100ms);
  s.inject(Seg::make(ACK, seq, s.iss() + 1, "late"));
  s.expect_silence_until(139ms);
  s.expect(140ms, ACK, s.iss() + 1, seq + 4);  // Linux's TCP_DELACK_MIN
  EXPECT_EQ(c.info().stats.delayed_acks, 1u);
}

TEST(ScriptDelayedAck, EverySecondFullSizedSegmentIsAckedAtOnce) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  std::uint32_t seq = use_up_quick_acks(s, 1001);
  s.run_until(100ms);
  s.inject(Seg::make(ACK, seq, s.iss() + 1, std::string(1460, 'a')));
  s.expect_silence_until(110ms);
  s.inject(Seg::make(ACK, seq + 1460, s.iss() + 1, std::string(1460, 'b')));
  s.expect(110ms, ACK, s.iss() + 1, seq + 2920);
  s.expect_silence_until(2s);  // nothing left owed: the timer was cancelled
}

TEST(ScriptDelayedAck, DataCarriesTheDelayedAck) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  std::uint32_t seq = use_up_quick_acks(s, 1001);
  s.run_until(100ms);
  s.inject(Seg::make(PSH | ACK, seq, s.iss() + 1, "GET"));
  s.run_until(120ms);
  c.write("200 OK");
  s.flush();
  Out r = s.expect(120ms, PSH | ACK, s.iss() + 1, seq + 3);
  EXPECT_EQ(r.data, "200 OK");
  s.expect_silence_until(200ms);  // no separate ACK at 140 ms
}

TEST(ScriptDelayedAck, DelayFollowsTheRttButNeverPastTwoHundredMilliseconds) {
  SegmentScript s;
  auto l = s.listen();
  s.inject(Seg::syn(1000));
  s.expect(0s, SYN | ACK, s.iss(), 1001);
  s.run_until(500ms);  // a 500 ms handshake RTT
  s.inject(Seg::make(ACK, 1001, s.iss() + 1));
  auto c = l.accept();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->info().srtt, 500ms);
  std::uint32_t seq = use_up_quick_acks(s, 1001);
  s.run_until(1s);
  s.inject(Seg::make(ACK, seq, s.iss() + 1, "x"));
  s.expect_silence_until(1199ms);
  s.expect(1200ms, ACK, s.iss() + 1, seq + 1);  // TCP_DELACK_MAX
}

TEST(ScriptDelayedAck, OutOfOrderSegmentsAreNeverDelayed) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  std::uint32_t seq = use_up_quick_acks(s, 1001);
  s.run_until(1s);
  s.inject(Seg::make(ACK, seq + 100, s.iss() + 1, "gap"));
  s.expect(1s, ACK, s.iss() + 1, seq);  // RFC 5681 §4.2: a duplicate ACK now
  s.inject(Seg::make(ACK, seq, s.iss() + 1, std::string(100, 'f')));
  s.expect(1s, ACK, s.iss() + 1, seq + 103);  // and the gap filling too
}

// Linux goes back to quick ACKs when data comes after a silence longer than
// the RTO (the sender is restarting from a small window after a timeout) and
// when a segment is all duplicate (the sender is retransmitting): 16 ACKs at
// once, so the sender's window grows without waiting on delayed ACKs.
TEST(ScriptDelayedAck, QuickAcksAgainAfterASilenceOrADuplicate) {
  SegmentScript s;
  auto l = s.listen();
  auto c = s.established_passive(l);
  std::uint32_t seq = use_up_quick_acks(s, 1001);
  EXPECT_EQ(c.info().rto, 200ms);
  s.run_until(100ms);  // under the RTO: delayed
  s.inject(Seg::make(ACK, seq, s.iss() + 1, "a"));
  s.expect(140ms, ACK, s.iss() + 1, seq + 1);
  ++seq;
  s.run_until(400ms);  // 260 ms of silence: over the RTO
  seq = use_up_quick_acks(s, seq);
  s.inject(Seg::make(ACK, seq, s.iss() + 1, "b"));  // the 17th is delayed again
  s.expect(440ms, ACK, s.iss() + 1, seq + 1);
  ++seq;
  s.inject(Seg::make(ACK, seq - 1, s.iss() + 1, "b"));  // a duplicate
  s.expect(440ms, ACK, s.iss() + 1, seq);
  seq = use_up_quick_acks(s, seq);
  s.inject(Seg::make(ACK, seq, s.iss() + 1, "c"));
  s.expect(480ms, ACK, s.iss() + 1, seq + 1);
}
