// SYN cookies (RFC 4987 §3.6) and the queue policy under a flood, as segment
// scripts: exact cookie sequence numbers, TSval option bits, RSTs for forged
// and stale cookies, and Linux's pruning of old half-open entries.
#include <gtest/gtest.h>

#include "support/segment_script.hpp"
#include "tcp/isn_generator.hpp"
#include "tcp/syn_cookie.hpp"
#include "tcp/ts_clock.hpp"

using namespace synack;
using namespace synack::testing;
using namespace std::chrono_literals;

namespace {

tcp::TcpConfig cookies(tcp::SyncookieMode mode) {
  tcp::TcpConfig cfg;
  cfg.syncookies = mode;
  return cfg;
}

tcp::FourTuple tuple(std::uint16_t peer_port = SegmentScript::kPeerPort) {
  return {SegmentScript::kOurAddr, 80, SegmentScript::kPeerAddr, peer_port};
}

// The cookie synack must send for this SYN at `now` (the test's own reckoning).
std::uint32_t expected_cookie(const tcp::TcpConfig& cfg, std::uint32_t client_isn,
                              std::uint16_t mss, Instant now,
                              std::uint16_t peer_port = SegmentScript::kPeerPort) {
  tcp::SynCookie c(SipKey{cfg.syncookie_key0, cfg.syncookie_key1});
  return c.encode(tuple(peer_port), SeqNum(client_isn), tcp::SynCookie::mss_index(mss),
                  tcp::SynCookie::counter(now));
}

std::uint32_t ts_offset(const tcp::TcpConfig& cfg) {
  return tcp::IsnGenerator(SipKey{cfg.isn_key0, cfg.isn_key1}).ts_offset(tuple());
}

Seg syn_with_options(std::uint32_t isn, std::uint16_t mss, std::uint32_t tsval) {
  Seg s = Seg::syn(isn, mss);
  s.opts.window_scale = 7;
  s.opts.sack_permitted = true;
  s.opts.timestamps = wire::TcpTimestamps{tsval, 0};
  return s;
}

}  // namespace

TEST(ScriptSyncookie, OnModeCookieCarriesMssWscaleSackInTsvalAndCompletes) {
  auto cfg = cookies(tcp::SyncookieMode::On);
  SegmentScript s(cfg);
  auto l = s.listen(80);
  s.run_until(5s);
  s.inject(syn_with_options(1000, 1400, 777));
  std::uint32_t cookie = expected_cookie(cfg, 1000, 1400, s.now());
  Out sa = s.expect(5s, SYN | ACK, cookie, 1001);
  EXPECT_EQ(sa.opts.mss, 1460);
  EXPECT_EQ(sa.opts.window_scale, 7);  // for the 6 MiB receive buffer
  EXPECT_TRUE(sa.opts.sack_permitted);
  ASSERT_TRUE(sa.opts.timestamps.has_value());
  std::uint32_t ts_now = tcp::ts_clock(s.now(), ts_offset(cfg));
  // Low 6 bits: shift 7, SACK bit; the rest is our clock rounded down.
  std::uint32_t want_tsval = (ts_now & ~63u) | 7u | 16u;
  if (static_cast<std::int32_t>(want_tsval - ts_now) > 0) want_tsval -= 64;
  EXPECT_EQ(sa.opts.timestamps->tsval, want_tsval);
  EXPECT_EQ(sa.opts.timestamps->tsecr, 777u);
  // Stateless: nothing is kept for the SYN.
  EXPECT_EQ(l.syn_queue_size(), 0u);
  EXPECT_EQ(s.tcp().request_pool().live, 0u);
  EXPECT_EQ(s.tcp().connection_count(), 0u);

  s.run_until(5s + 40ms);
  Seg ack = Seg::make(ACK, 1001, cookie + 1);
  ack.opts.timestamps = wire::TcpTimestamps{817, sa.opts.timestamps->tsval};
  s.inject(ack);
  s.expect_silence_until(5s + 40ms);
  ASSERT_EQ(l.accept_queue_size(), 1u);
  auto c = l.accept();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->state(), tcp::TcpState::Established);
  const auto& conn = c->connection();
  EXPECT_EQ(conn.snd().iss.raw(), cookie);
  EXPECT_EQ(conn.snd().wscale, 7);  // the peer's shift, from the TSecr
  EXPECT_EQ(conn.rcv().wscale, 7);
  EXPECT_TRUE(conn.sack_enabled());
  EXPECT_EQ(l.counters().cookies_sent, 1u);
  EXPECT_EQ(l.counters().cookies_validated, 1u);
  EXPECT_EQ(l.counters().cookies_rejected, 0u);

  // Our first data segment continues from the cookie, echoes the ACK's TSval
  // and carries a TSval no older than the cookie's.
  ASSERT_EQ(c->write("hi"), 2u);
  s.flush();
  Out d = s.expect(5s + 40ms, PSH | ACK, cookie + 1, 1001);
  ASSERT_TRUE(d.opts.timestamps.has_value());
  EXPECT_EQ(d.opts.timestamps->tsval, ts_now + 40);
  EXPECT_EQ(d.opts.timestamps->tsecr, 817u);
  EXPECT_EQ(d.data, "hi");
}

TEST(ScriptSyncookie, WithoutTimestampsOnlyMssSurvives) {
  auto cfg = cookies(tcp::SyncookieMode::On);
  SegmentScript s(cfg);
  auto l = s.listen(80);
  Seg syn = Seg::syn(1000, 1400);
  syn.opts.window_scale = 7;
  syn.opts.sack_permitted = true;
  s.inject(syn);
  std::uint32_t cookie = expected_cookie(cfg, 1000, 1400, s.now());
  Out sa = s.expect(0s, SYN | ACK, cookie, 1001);
  EXPECT_EQ(sa.opts.mss, 1460);
  EXPECT_FALSE(sa.opts.window_scale.has_value());  // nowhere to remember it
  EXPECT_FALSE(sa.opts.sack_permitted);
  EXPECT_FALSE(sa.opts.timestamps.has_value());
  s.inject(Seg::make(ACK, 1001, cookie + 1));
  auto c = l.accept();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->connection().snd().mss, 1300);  // 1400 rounded down to the table
  EXPECT_EQ(c->connection().snd().wscale, 0);
  EXPECT_FALSE(c->connection().sack_enabled());
}

TEST(ScriptSyncookie, ForgedCookieAckCreatesNothingAndGetsRst) {
  auto cfg = cookies(tcp::SyncookieMode::On);
  SegmentScript s(cfg);
  auto l = s.listen(80);
  s.inject(Seg::syn(1000));
  std::uint32_t cookie =
      s.expect(0s, SYN | ACK, expected_cookie(cfg, 1000, 1460, s.now()), 1001).seq;
  s.inject(Seg::make(ACK, 1001, cookie + 2));  // one off
  s.expect(0s, RST, cookie + 2, 0);
  Seg other = Seg::make(ACK, 1001, cookie + 1);  // right cookie, other port
  other.src_port = 4001;
  s.inject(other);
  Out rst = s.expect(0s, RST, cookie + 1, 0);
  EXPECT_EQ(rst.dst_port, 4001);
  s.inject(Seg::make(ACK, 9001, cookie + 1));  // another client ISN
  s.expect(0s, RST, cookie + 1, 0);
  EXPECT_EQ(l.counters().cookies_rejected, 3u);
  EXPECT_EQ(l.counters().cookies_validated, 0u);
  EXPECT_EQ(l.accept_queue_size(), 0u);
  EXPECT_EQ(s.tcp().connection_count(), 0u);
  EXPECT_EQ(s.tcp().connection_pool().live, 0u);
}

TEST(ScriptSyncookie, CookieValidTwoCounterPeriodsThenStale) {
  auto cfg = cookies(tcp::SyncookieMode::On);
  // Sent at 59 s (counter 0): still good at 119 s (counter 1)...
  {
    SegmentScript s(cfg);
    auto l = s.listen(80);
    s.run_until(59s);
    s.inject(Seg::syn(1000));
    std::uint32_t cookie = s.expect_any_seq(59s, SYN | ACK, 1001).seq;
    s.run_until(119s);
    s.inject(Seg::make(ACK, 1001, cookie + 1));
    s.expect_silence_until(119s);
    EXPECT_EQ(l.accept_queue_size(), 1u);
  }
  // ... and stale at 120 s (counter 2): RST, nothing created.
  {
    SegmentScript s(cfg);
    auto l = s.listen(80);
    s.run_until(59s);
    s.inject(Seg::syn(1000));
    std::uint32_t cookie = s.expect_any_seq(59s, SYN | ACK, 1001).seq;
    s.run_until(120s);
    s.inject(Seg::make(ACK, 1001, cookie + 1));
    s.expect(120s, RST, cookie + 1, 0);
    EXPECT_EQ(l.accept_queue_size(), 0u);
    EXPECT_EQ(l.counters().cookies_rejected, 1u);
    EXPECT_EQ(s.tcp().connection_count(), 0u);
  }
}

TEST(ScriptSyncookie, AutoQueuesUntilFullThenSendsCookies) {
  auto cfg = cookies(tcp::SyncookieMode::Auto);
  cfg.syn_backlog = 2;
  SegmentScript s(cfg);
  auto l = s.listen(80);
  // With no overflow yet, an ACK for nothing is not worth a hash: RST.
  Seg stray = Seg::make(ACK, 500, 600);
  stray.src_port = 3999;
  s.inject(stray);
  s.expect(0s, RST, 600, 0);
  EXPECT_EQ(l.counters().cookies_rejected, 0u);
  for (std::uint16_t port : {4001, 4002}) {
    Seg syn = Seg::syn(1000);
    syn.src_port = port;
    s.inject(syn);
    s.expect_any_seq(0s, SYN | ACK, 1001);
  }
  EXPECT_EQ(l.syn_queue_size(), 2u);
  EXPECT_EQ(l.counters().cookies_sent, 0u);
  s.inject(Seg::syn(3000));  // the queue is full: a cookie, not a drop
  std::uint32_t cookie = expected_cookie(cfg, 3000, 1460, s.now());
  s.expect(0s, SYN | ACK, cookie, 3001);
  EXPECT_EQ(l.syn_queue_size(), 2u);
  EXPECT_EQ(l.counters().cookies_sent, 1u);
  EXPECT_EQ(l.counters().syn_queue_full_drops, 0u);
  s.run_until(100ms);
  s.inject(Seg::make(ACK, 3001, cookie + 1));
  s.expect_silence_until(100ms);
  EXPECT_EQ(l.accept_queue_size(), 1u);
  EXPECT_EQ(l.syn_queue_size(), 2u);
  EXPECT_EQ(l.counters().cookies_validated, 1u);
}

TEST(ScriptSyncookie, AutoSendsCookiesWhenHalfOpenMemoryRunsOut) {
  auto cfg = cookies(tcp::SyncookieMode::Auto);
  cfg.syn_backlog = 8;
  cfg.max_request_socks = 1;  // the host's pool, shared by its listeners
  SegmentScript s(cfg);
  auto l = s.listen(80);
  Seg first = Seg::syn(1000);
  first.src_port = 4001;
  s.inject(first);
  s.expect_any_seq(0s, SYN | ACK, 1001);
  s.inject(Seg::syn(3000));  // the queue has room, the pool has not
  s.expect(0s, SYN | ACK, expected_cookie(cfg, 3000, 1460, s.now()), 3001);
  EXPECT_EQ(l.syn_queue_size(), 1u);
  EXPECT_EQ(l.counters().cookies_sent, 1u);
  EXPECT_EQ(l.counters().syn_queue_full_drops, 0u);
}

TEST(ScriptSyncookie, AutoStopsCheckingCookiesTwoMinutesAfterOverflow) {
  auto cfg = cookies(tcp::SyncookieMode::Auto);
  cfg.syn_backlog = 1;
  cfg.synack_retries = 0;  // the queued entry leaves at 1 s
  SegmentScript s(cfg);
  auto l = s.listen(80);
  Seg first = Seg::syn(1000);
  first.src_port = 4001;
  s.inject(first);
  s.expect_any_seq(0s, SYN | ACK, 1001);
  s.inject(Seg::syn(3000));
  std::uint32_t cookie =
      s.expect(0s, SYN | ACK, expected_cookie(cfg, 3000, 1460, s.now()), 3001).seq;
  // A forged ACK within the two minutes is checked (and fails).
  s.inject(Seg::make(ACK, 3001, cookie + 5));
  s.expect(0s, RST, cookie + 5, 0);
  EXPECT_EQ(l.counters().cookies_rejected, 1u);
  // Two minutes after the overflow the check is off: RST without a hash.
  s.run_until(120s);
  s.inject(Seg::make(ACK, 3001, cookie + 5));
  s.expect(120s, RST, cookie + 5, 0);
  EXPECT_EQ(l.counters().cookies_rejected, 1u);
}

TEST(ScriptSyncookie, OffModeFloodFillsQueueAndDropsLegitimateSyn) {
  auto cfg = cookies(tcp::SyncookieMode::Off);
  cfg.syn_backlog = 4;
  SegmentScript s(cfg);
  auto l = s.listen(80);
  for (std::uint16_t port = 5000; port < 5004; ++port) {  // the spoofed SYNs
    Seg syn = Seg::syn(port);
    syn.src_port = port;
    s.inject(syn);
    s.expect_any_seq(0s, SYN | ACK, port + 1u);
  }
  s.inject(Seg::syn(1000));  // the legitimate client
  s.expect_silence_until(999ms);
  EXPECT_EQ(l.counters().syn_queue_full_drops, 1u);
  EXPECT_EQ(l.counters().cookies_sent, 0u);
  EXPECT_EQ(l.syn_queue_size(), 4u);
}

TEST(ScriptSyncookie, AcceptQueueFullDropsCookieAckUntilRoom) {
  auto cfg = cookies(tcp::SyncookieMode::On);
  cfg.backlog = 1;
  SegmentScript s(cfg);
  auto l = s.listen(80);
  Seg a = Seg::syn(1000);
  a.src_port = 4001;
  s.inject(a);
  std::uint32_t ca = s.expect_any_seq(0s, SYN | ACK, 1001).seq;
  s.inject(Seg::syn(2000));
  std::uint32_t cb = s.expect(0s, SYN | ACK, expected_cookie(cfg, 2000, 1460, s.now()), 2001).seq;
  Seg ack_a = Seg::make(ACK, 1001, ca + 1);
  ack_a.src_port = 4001;
  s.inject(ack_a);
  EXPECT_EQ(l.accept_queue_size(), 1u);
  s.inject(Seg::make(PSH | ACK, 2001, cb + 1, "req"));  // dropped: no room
  s.expect_silence_until(1s);
  EXPECT_EQ(l.counters().accept_queue_overflows, 1u);
  EXPECT_EQ(s.tcp().connection_count(), 1u);
  ASSERT_TRUE(l.accept());
  s.inject(Seg::make(PSH | ACK, 2001, cb + 1, "req"));  // the client retransmits
  EXPECT_EQ(l.accept_queue_size(), 1u);
  auto c = l.accept();
  ASSERT_TRUE(c);
  std::uint8_t buf[8];
  EXPECT_EQ(c->read(buf), 3u);
}

TEST(ScriptSyncookie, AcceptQueueFullCookieAckResetWithAbortOnOverflow) {
  auto cfg = cookies(tcp::SyncookieMode::On);
  cfg.backlog = 1;
  cfg.abort_on_overflow = true;
  SegmentScript s(cfg);
  auto l = s.listen(80);
  Seg a = Seg::syn(1000);
  a.src_port = 4001;
  s.inject(a);
  std::uint32_t ca = s.expect_any_seq(0s, SYN | ACK, 1001).seq;
  Seg ack_a = Seg::make(ACK, 1001, ca + 1);
  ack_a.src_port = 4001;
  s.inject(ack_a);
  s.inject(Seg::syn(2000));
  // Linux drops a SYN while the accept queue is full, cookies or not.
  s.expect_silence_until(0s);
  EXPECT_EQ(l.counters().accept_queue_full_drops, 1u);
  std::uint32_t cb = expected_cookie(cfg, 2000, 1460, s.now());
  s.inject(Seg::make(ACK, 2001, cb + 1));  // an ACK for an earlier cookie
  s.expect(0s, RST, cb + 1, 0);
  EXPECT_EQ(l.counters().accept_queue_overflows, 1u);
  EXPECT_EQ(s.tcp().connection_count(), 1u);
}

// Queue policy (Linux's reqsk_timer_handler): more than half full and no
// young entries left, old entries get 2 retries instead of 5 -- until the
// queue is back to half full, when the full schedule applies again.
TEST(ScriptSyncookie, OverHalfFullQueuePrunesOldEntriesDownToHalf) {
  auto cfg = cookies(tcp::SyncookieMode::Off);
  cfg.syn_backlog = 16;
  SegmentScript s(cfg);
  auto l = s.listen(80);
  for (std::uint16_t port = 5000; port < 5016; ++port) {
    Seg syn = Seg::syn(port);
    syn.src_port = port;
    s.inject(syn);
    s.expect_any_seq(0s, SYN | ACK, port + 1u);
  }
  for (auto t : {1s, 3s}) {
    for (int i = 0; i < 16; ++i)
      s.expect_at(t);
  }
  EXPECT_EQ(l.listener().syn_queue().young(), 0u);
  // At 7 s the first 8 entries have used their 2 retries and are dropped
  // silently; with 8 of 16 left the queue is no longer over half full, so
  // the other 8 get their third SYN-ACK and the normal schedule.
  for (int i = 0; i < 8; ++i)
    s.expect_at(7s);
  EXPECT_EQ(l.syn_queue_size(), 8u);
  EXPECT_EQ(l.counters().half_open_expired, 8u);
  for (auto t : {15s, 31s}) {
    for (int i = 0; i < 8; ++i)
      s.expect_at(t);
  }
  s.expect_silence_until(63s);
  EXPECT_EQ(l.syn_queue_size(), 0u);
  EXPECT_EQ(l.counters().half_open_expired, 16u);
  EXPECT_EQ(l.counters().synacks_retransmitted, 32u + 8u * 3u);
}

TEST(ScriptSyncookie, HalfFullQueueKeepsFullRetrySchedule) {
  auto cfg = cookies(tcp::SyncookieMode::Off);
  cfg.syn_backlog = 16;
  SegmentScript s(cfg);
  auto l = s.listen(80);
  for (std::uint16_t port = 5000; port < 5008; ++port) {  // 8 of 16: not over half
    Seg syn = Seg::syn(port);
    syn.src_port = port;
    s.inject(syn);
    s.expect_any_seq(0s, SYN | ACK, port + 1u);
  }
  for (auto t : {1s, 3s, 7s, 15s, 31s}) {
    for (int i = 0; i < 8; ++i)
      s.expect_at(t);
  }
  s.expect_silence_until(63s);
  EXPECT_EQ(l.syn_queue_size(), 0u);
  EXPECT_EQ(l.counters().synacks_retransmitted, 40u);
}

TEST(ScriptSyncookie, YoungEntriesRaiseTheThreshold) {
  auto cfg = cookies(tcp::SyncookieMode::Off);
  cfg.syn_backlog = 16;
  SegmentScript s(cfg);
  auto l = s.listen(80);
  for (std::uint16_t port = 5000; port < 5012; ++port) {
    Seg syn = Seg::syn(port);
    syn.src_port = port;
    s.inject(syn);
    s.expect_any_seq(0s, SYN | ACK, port + 1u);
  }
  for (auto t : {1s, 3s}) {  // 12 of 16, none young: threshold 2
    for (int i = 0; i < 12; ++i)
      s.expect_at(t);
  }
  s.run_until(6500ms);
  for (std::uint16_t port = 6000; port < 6004; ++port) {  // 4 young arrive
    Seg syn = Seg::syn(port);
    syn.src_port = port;
    s.inject(syn);
    s.expect_any_seq(6500ms, SYN | ACK, port + 1u);
  }
  // At 7 s: qlen 16, young 4: 2*4 = 8 <= 16 -> 4; 16 <= 16 -> 3; 32 > 16:
  // stop. The old entries (2 retries so far) get a third SYN-ACK.
  for (int i = 0; i < 12; ++i)
    s.expect_at(7s);
  for (int i = 0; i < 4; ++i)
    s.expect_at(7500ms);  // the young ones' first retransmission: none young now
  EXPECT_EQ(l.listener().syn_queue().young(), 0u);
  for (int i = 0; i < 4; ++i)
    s.expect_at(9500ms);
  // With nothing young the threshold is 2 again: the once-young entries die
  // at 13.5 s (16 -> 12 entries, still over half), and at 15 s old ones die
  // until half the queue is left; those 8 get their SYN-ACK.
  s.expect_silence_until(14900ms);
  EXPECT_EQ(l.syn_queue_size(), 12u);
  for (int i = 0; i < 8; ++i)
    s.expect_at(15s);
  EXPECT_EQ(l.syn_queue_size(), 8u);
  EXPECT_EQ(l.counters().half_open_expired, 8u);
}
