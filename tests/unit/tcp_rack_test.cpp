// SentSegments (the per-segment records RACK keeps) and Rack (RFC 8985 §6)
// on hand-made flights, without a connection.
#include <gtest/gtest.h>

#include <optional>

#include "core/buffer_pool.hpp"
#include "tcp/rack.hpp"

using namespace synack;
using namespace synack::tcp;
using namespace std::chrono_literals;

namespace {
constexpr std::uint32_t kMss = 1000;
const SeqNum kBase(4'294'960'000u);  // wraps within the flight
Instant at(Duration d) {
  return Instant(d);
}
SeqNum seg(std::uint32_t i) {
  return kBase + i * kMss;
}
Rack::Ack ack_of(SeqNum una, SeqNum snd_nxt, std::optional<SeqNum> lowest_new = std::nullopt) {
  Rack::Ack a;
  a.una = una;
  a.snd_nxt = snd_nxt;
  a.lowest_new = lowest_new;
  return a;
}
Rack::Context open_state() {
  Rack::Context c;
  c.srtt = std::chrono::milliseconds(20);
  return c;
}
}  // namespace

// With a pool, the records' storage is taken on the first transmission,
// grows by doubling, and goes back once everything is acknowledged (an idle
// connection holds none); the next flight takes a block from the pool.
TEST(TcpSentSegments, StorageComesFromThePoolAndGoesBackWhenAllIsAcked) {
  BufferPool pool;
  SentSegments s(&pool);
  EXPECT_EQ(pool.stats().outstanding_bytes, 0u);
  for (std::uint32_t i = 0; i < 5; ++i)  // 4 records, then 8
    s.on_transmit(seg(i), seg(i + 1), at(1ms));
  EXPECT_EQ(pool.stats().outstanding_bytes, 8 * sizeof(SentSegment));
  EXPECT_EQ(pool.stats().acquired, 2u);
  for (std::uint32_t i = 0; i < 5; ++i) {
    EXPECT_EQ(s.front().start, seg(i));
    s.pop_front();
  }
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(pool.stats().outstanding_bytes, 0u);
  s.on_transmit(seg(5), seg(6), at(2ms));
  EXPECT_EQ(pool.stats().reused, 1u);  // the 4-record block, kept by the pool
  EXPECT_EQ(s.front().start, seg(5));
  EXPECT_EQ(s.front().xmit_ts, at(2ms));
}

TEST(TcpSentSegments, RetransmissionSplitsAndRestampsWhatItCovers) {
  SentSegments s;
  for (std::uint32_t i = 0; i < 40; ++i)  // grows past the first capacity
    EXPECT_FALSE(s.on_transmit(seg(i), seg(i + 1), at(1ms)));
  ASSERT_EQ(s.size(), 40u);
  EXPECT_EQ(s.find(seg(3) + 10), 3u);
  s.mark_lost(s[3]);
  s.mark_lost(s[4]);
  EXPECT_EQ(s.lost_bytes(), 2 * kMss);
  // Resent with other edges: [3.5, 4.5) splits both records.
  EXPECT_TRUE(s.on_transmit(seg(3) + 500, seg(4) + 500, at(5ms)));
  ASSERT_EQ(s.size(), 42u);
  EXPECT_EQ(s[3].end, seg(3) + 500);
  EXPECT_TRUE(s[3].lost);
  EXPECT_FALSE(s[4].lost);
  EXPECT_TRUE(s[4].retransmitted);
  EXPECT_EQ(s[4].xmit_ts, at(5ms));
  EXPECT_EQ(s[5].end, seg(4) + 500);
  EXPECT_TRUE(s[6].lost);
  EXPECT_EQ(s.lost_bytes(), kMss);
  // The cumulative ACK takes whole records and trims the next.
  for (int i = 0; i < 3; ++i)
    s.pop_front();
  s.trim_front(seg(3) + 200);
  EXPECT_EQ(s.front().start, seg(3) + 200);
  EXPECT_EQ(s.lost_bytes(), kMss - 200);
  // New data past SND.MAX in the same segment as old: the rest is appended.
  EXPECT_TRUE(s.on_transmit(seg(39), seg(41), at(6ms)));
  EXPECT_EQ(s.back().start, seg(40));
  EXPECT_FALSE(s.back().retransmitted);
}

TEST(TcpRack, SegmentSentBeforeTheDeliveredOneIsLostAfterTheWindow) {
  Rack r;
  SackScoreboard sb;
  for (std::uint32_t i = 0; i < 4; ++i)
    r.on_transmit(seg(i), seg(i + 1), at(10ms));
  // Segment 0 acked and 2 SACKed at 30 ms: RTT 20 ms, window 5 ms.
  wire::SackBlock b[] = {{seg(2).raw(), seg(3).raw()}};
  auto u = sb.update(seg(1), seg(4), b);
  Rack::Context ctx = open_state();
  auto v = r.on_ack(at(30ms), ack_of(seg(1), seg(4), u.lowest_new), sb, ctx);
  EXPECT_EQ(r.rtt(), 20ms);
  EXPECT_EQ(r.reo_wnd(), 5ms);
  EXPECT_EQ(v.newly_lost, 0u);
  ASSERT_TRUE(v.timer);
  EXPECT_EQ(*v.timer, 5ms);  // segment 1: 10 + 20 + 5 - 30
  v = r.on_timeout(at(35ms), ctx);
  EXPECT_EQ(v.newly_lost, 1u);
  EXPECT_EQ(r.lost_bytes(), kMss);
  auto hole = r.next_lost(seg(4), kMss);
  ASSERT_TRUE(hole);
  EXPECT_EQ(hole->start, seg(1));
  // Segment 3, sent with the RACK segment but higher, is not judged.
  EXPECT_FALSE(r.segments()[2].lost);
  r.on_transmit(seg(1), seg(2), at(35ms));
  EXPECT_EQ(r.lost_bytes(), 0u);
}

TEST(TcpRack, RetransmissionAckedByTheOriginalGivesNoRttSample) {
  Rack r;
  SackScoreboard sb;
  r.on_transmit(seg(0), seg(1), at(0ms));
  r.on_transmit(seg(1), seg(2), at(0ms));
  Rack::Context ctx = open_state();
  r.on_ack(at(20ms), ack_of(seg(1), seg(2)), sb, ctx);
  r.on_transmit(seg(1), seg(2), at(25ms));  // resent
  // Its ACK 2 ms later can only be the original's (below min_RTT).
  r.on_ack(at(27ms), ack_of(seg(2), seg(2)), sb, ctx);
  EXPECT_EQ(r.rtt(), 20ms);
  EXPECT_EQ(*r.min_rtt(), 20ms);
}
