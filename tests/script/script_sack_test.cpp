// SACK: the receiver's blocks (RFC 2018 §4) and D-SACK (RFC 2883), and the
// sender's SACK-based recovery (RFC 6675) on the virtual clock.
#include <gtest/gtest.h>

#include <set>

#include "support/negotiated_open.hpp"

using namespace synack;
using namespace synack::testing;
using namespace std::chrono_literals;

namespace {
std::vector<wire::SackBlock> blocks(const Out& o) {
  return {o.opts.sack.begin(), o.opts.sack.begin() + o.opts.sack_count};
}
using B = wire::SackBlock;
constexpr std::uint32_t kMss = 1460;
// The scripts here answer at once (an RTT of zero), so a tail loss probe
// (RFC 8985 §7, script_loss_probe_test) would fire 10 ms after each send and
// mix into the recovery under test.
tcp::TcpConfig without_loss_probe() {
  tcp::TcpConfig c;
  c.loss_probe = false;
  return c;
}
}  // namespace

TEST(ScriptSack, ReceiverReportsOutOfOrderBlocksNewestFirst) {
  SegmentScript s;
  auto l = s.listen();
  auto c = open_negotiated(s, l);
  s.inject(Seg::make(ACK, 2001, s.iss() + 1, std::string(500, 'b')));
  Out a1 = s.expect(0s, ACK, s.iss() + 1, 1001);  // at once: a duplicate ACK
  EXPECT_EQ(blocks(a1), (std::vector<B>{{2001, 2501}}));
  s.inject(Seg::make(ACK, 3001, s.iss() + 1, std::string(500, 'c')));
  Out a2 = s.expect(0s, ACK, s.iss() + 1, 1001);
  EXPECT_EQ(blocks(a2), (std::vector<B>{{3001, 3501}, {2001, 2501}}));
  // The first gap fills: the cumulative ACK moves, one block is left.
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, std::string(1000, 'a')));
  Out a3 = s.expect(0s, ACK, s.iss() + 1, 2501);
  EXPECT_EQ(blocks(a3), (std::vector<B>{{3001, 3501}}));
  s.inject(Seg::make(ACK, 2501, s.iss() + 1, std::string(500, 'b')));
  Out a4 = s.expect(0s, ACK, s.iss() + 1, 3501);
  EXPECT_TRUE(blocks(a4).empty());
  EXPECT_EQ(c.readable(), 2500u);
  EXPECT_EQ(c.info().stats.out_of_order_segments, 2u);
}

TEST(ScriptSack, AdjacentOutOfOrderSegmentsMergeIntoOneBlock) {
  SegmentScript s;
  auto l = s.listen();
  auto c = open_negotiated(s, l);
  s.inject(Seg::make(ACK, 2001, s.iss() + 1, std::string(100, 'x')));
  s.expect(0s, ACK, s.iss() + 1, 1001);
  s.inject(Seg::make(ACK, 2101, s.iss() + 1, std::string(100, 'x')));
  Out a = s.expect(0s, ACK, s.iss() + 1, 1001);
  EXPECT_EQ(blocks(a), (std::vector<B>{{2001, 2201}}));
}

TEST(ScriptSack, DuplicateBelowTheAckIsReportedAsDsack) {
  SegmentScript s;
  auto l = s.listen();
  auto c = open_negotiated(s, l);
  s.inject(Seg::make(PSH | ACK, 1001, s.iss() + 1, "hello"));
  s.expect(0s, ACK, s.iss() + 1, 1006);
  s.inject(Seg::make(PSH | ACK, 1001, s.iss() + 1, "hello"));
  Out a = s.expect(0s, ACK, s.iss() + 1, 1006);
  EXPECT_EQ(blocks(a), (std::vector<B>{{1001, 1006}}));  // RFC 2883 §4.1.1
  // Reported once: the next ACK has no D-SACK.
  s.inject(Seg::make(PSH | ACK, 1006, s.iss() + 1, "!"));
  Out b = s.expect(0s, ACK, s.iss() + 1, 1007);
  EXPECT_TRUE(blocks(b).empty());
  EXPECT_EQ(c.info().stats.dsacks_sent, 1u);
}

TEST(ScriptSack, DuplicateOfHeldOutOfOrderDataIsDsackThenItsBlock) {
  SegmentScript s;
  auto l = s.listen();
  auto c = open_negotiated(s, l);
  s.inject(Seg::make(ACK, 2001, s.iss() + 1, std::string(10, 'x')));
  s.expect(0s, ACK, s.iss() + 1, 1001);
  s.inject(Seg::make(ACK, 2001, s.iss() + 1, std::string(10, 'x')));
  Out a = s.expect(0s, ACK, s.iss() + 1, 1001);
  // RFC 2883 §4.1.3: the D-SACK block first, then the block holding it.
  EXPECT_EQ(blocks(a), (std::vector<B>{{2001, 2011}, {2001, 2011}}));
}

// RFC 6675's DupThresh rule, kept behind TcpConfig::loss_detection for
// comparison. (RACK, the default, would not wait for the third: with this
// script's zero-RTT handshake SRTT is 0, so its reordering window is 0 and
// the first SACK above the hole is enough; script_rack_test has RACK's cases.)
TEST(ScriptSack, LostSegmentIsRetransmittedWhenThreeSegmentsAreSacked) {
  tcp::TcpConfig cfg = without_loss_probe();
  cfg.loss_detection = tcp::LossDetection::Rfc6675;
  SegmentScript s(cfg);
  auto l = s.listen();
  auto c = open_negotiated(s, l);
  const std::uint32_t base = s.iss() + 1;
  c.write(std::string(10 * kMss, 'd'));
  s.flush();
  for (std::uint32_t i = 0; i < 10; ++i)  // RFC 6928: ten segments at once
    s.expect(0s, i == 9 ? PSH | ACK : ACK, base + i * kMss, 1001);
  s.expect_silence_until(50ms);
  std::uint32_t cwnd = c.info().cwnd;
  EXPECT_EQ(cwnd, 10 * kMss);
  // Segment 0 was lost; 1 and 2 arrived. Two SACKed segments are not yet
  // enough (RFC 6675 IsLost needs more than 2 SMSS above).
  Seg d1 = Seg::make(ACK, 1001, base);
  d1.opts = sack_blocks({{base + kMss, base + 3 * kMss}});
  s.inject(d1);
  s.expect_silence_until(60ms);
  Seg d2 = Seg::make(ACK, 1001, base);
  d2.opts = sack_blocks({{base + kMss, base + 4 * kMss}});
  s.inject(d2);
  Out rx = s.expect(60ms, ACK, base, 1001);  // fast retransmit, right now
  EXPECT_EQ(rx.data.size(), kMss);
  EXPECT_TRUE(c.connection().in_recovery());
  // CUBIC: ssthresh = 0.7 * cwnd (RFC 9438 §4.6); the window is ssthresh.
  EXPECT_EQ(c.info().ssthresh, cwnd * 7 / 10);
  EXPECT_EQ(c.info().cwnd, cwnd * 7 / 10);
  // pipe = 10 - 3 SACKed = 7 segments = cwnd: nothing else goes, and no
  // SACKed segment is ever sent again.
  s.expect_silence_until(100ms);
  s.inject(Seg::make(ACK, 1001, base + 10 * kMss));
  EXPECT_FALSE(c.connection().in_recovery());
  EXPECT_EQ(c.info().stats.fast_retransmits, 1u);
  EXPECT_EQ(c.info().stats.retransmits, 1u);
  EXPECT_EQ(c.info().stats.bytes_sacked, 3u * kMss);
  s.expect_silence_until(2s);
}

TEST(ScriptSack, SecondHoleIsRetransmittedAsSackedDataLeaves) {
  SegmentScript s(without_loss_probe());
  auto l = s.listen();
  auto c = open_negotiated(s, l);
  const std::uint32_t base = send_full_segments(s, c, 10, kMss);
  s.run_until(50ms);
  // Segments 0 and 4 lost; 1-3 and 5-9 arrived.
  Seg d = Seg::make(ACK, 1001, base);
  d.opts = sack_blocks({{base + 5 * kMss, base + 10 * kMss}, {base + kMss, base + 4 * kMss}});
  s.inject(d);
  s.expect(50ms, ACK, base, 1001);
  // Segment 4 is lost too (five segments SACKed above it): pipe = 10 - 8
  // SACKed - 1 lost = 1 segment, so NextSeg rule 1 sends it at once.
  s.expect(50ms, ACK, base + 4 * kMss, 1001);
  s.expect_silence_until(100ms);
  s.inject(Seg::make(ACK, 1001, base + 10 * kMss));
  EXPECT_EQ(c.info().stats.retransmits, 2u);
  EXPECT_FALSE(c.connection().in_recovery());
}

// After a timeout, go-back-N resends from SND.UNA but never what the
// scoreboard shows SACKed (RFC 6675 §5.1 keeps it across the timeout). With
// a 20 ms RTT (RTO 220 ms): segment 2 is SACKed at 40 ms, RACK gives 0 and 1
// a quarter of min_RTT more and resends both at 45 ms (RFC 8985 §6.3); both
// copies are lost too, and no later segment arrives to tell, so the RTO
// (from the first send at 20 ms) resends 0, then 1, and never 2.
TEST(ScriptSack, TimeoutRetransmissionSkipsSackedSegments) {
  SegmentScript s(without_loss_probe());
  auto l = s.listen();
  NegotiatedOpen o;
  o.rtt = 20ms;
  auto c = open_negotiated(s, l, o);
  const std::uint32_t base = send_full_segments(s, c, 3, kMss);  // at 20 ms
  s.run_until(40ms);
  Seg d = Seg::make(ACK, 1001, base);  // segment 2 SACKed
  d.opts = sack_blocks({{base + 2 * kMss, base + 3 * kMss}});
  s.inject(d);
  s.expect_silence_until(44ms);
  s.expect(45ms, ACK, base, 1001);  // RACK's reordering timer
  s.expect(45ms, ACK, base + kMss, 1001);
  s.expect_silence_until(239ms);
  s.expect(240ms, ACK, base, 1001);  // RTO: one segment (cwnd = 1 SMSS)
  EXPECT_EQ(c.info().cwnd, kMss);
  s.run_until(260ms);
  Seg a = Seg::make(ACK, 1001, base + kMss);
  a.opts = sack_blocks({{base + 2 * kMss, base + 3 * kMss}});
  s.inject(a);
  s.expect(260ms, ACK, base + kMss, 1001);  // segment 1, then not segment 2
  s.expect_silence_until(300ms);
  s.inject(Seg::make(ACK, 1001, base + 3 * kMss));
  s.expect_silence_until(3s);
  EXPECT_EQ(c.info().stats.retransmits, 4u);
  EXPECT_EQ(c.info().stats.timeouts, 1u);
}

// PRR (RFC 6937 §3.1): with 22 segments out when the loss is found and
// ssthresh = 0.7 x 20 = 14 segments (CUBIC), each ACK that SACKs one more
// segment lets out CEIL(delivered x 14 / 22) - sent while pipe > ssthresh:
// new data leaves on recovery ACKs 2, 4, 5, 7, 8 and 10. At ACK 12 pipe is
// down to ssthresh (19 - 11 delivered + 6 sent), and from ACK 13 the
// slow-start reduction bound sends one per segment delivered. RFC 6675 alone
// would send nothing until ACK 6 and then one per ACK.
TEST(ScriptSack, ProportionalRateReductionPacesRecovery) {
  SegmentScript s(without_loss_probe());
  auto l = s.listen();
  auto c = open_negotiated(s, l);
  const std::uint32_t base = s.iss() + 1;
  c.write(std::string(60 * kMss, 'd'));
  s.flush();
  for (std::uint32_t i = 0; i < 10; ++i)
    s.expect(0s, ACK, base + i * kMss, 1001);
  s.run_until(50ms);
  s.inject(Seg::make(ACK, 1001, base + 10 * kMss));  // slow start: cwnd 20
  for (std::uint32_t i = 10; i < 30; ++i)
    s.expect(50ms, ACK, base + i * kMss, 1001);
  EXPECT_EQ(c.info().cwnd, 20 * kMss);
  s.run_until(100ms);
  // Segment 10 is lost; 11, 12, ... arrive one per ACK.
  auto sack_ack = [&](std::uint32_t sacked_through) {
    Seg d = Seg::make(ACK, 1001, base + 10 * kMss);
    d.opts = sack_blocks({{base + 11 * kMss, base + (sacked_through + 1) * kMss}});
    s.inject(d);
  };
  std::uint32_t next_new = 30;
  // RFC 3042: the first two duplicates each send a new segment.
  for (std::uint32_t j = 11; j <= 12; ++j) {
    sack_ack(j);
    s.expect(s.elapsed(), ACK, base + next_new++ * kMss, 1001);
    s.run_for(1ms);
  }
  sack_ack(13);  // three SACKed: recovery, and the retransmission at once
  s.expect(s.elapsed(), ACK, base + 10 * kMss, 1001);
  EXPECT_TRUE(c.connection().in_recovery());
  EXPECT_EQ(c.info().ssthresh, 14 * kMss);
  s.expect_silence_until(s.elapsed() + 1ms);
  const std::set<std::uint32_t> sends = {2, 4, 5, 7, 8, 10, 13};
  for (std::uint32_t k = 2; k <= 13; ++k) {
    sack_ack(12 + k);
    if (sends.count(k)) {
      Out o = s.expect(s.elapsed(), ACK, base + next_new++ * kMss, 1001);
      EXPECT_EQ(o.data.size(), kMss) << "recovery ACK " << k;
    }
    s.expect_silence_until(s.elapsed() + 1ms);
  }
  EXPECT_EQ(next_new, 39u);
  EXPECT_EQ(c.info().stats.retransmits, 1u);
}
