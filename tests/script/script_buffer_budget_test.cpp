// The stack's byte budget for buffer memory (TcpConfig::buffer_budget, like
// Linux's tcp_mem): windows offered follow what the budget lets a buffer
// grow to, in-window bytes past that are dropped and counted, writes are cut
// short, and an empty buffer always gets its first 4 KiB block.
#include <gtest/gtest.h>

#include <string>

#include "support/segment_script.hpp"
#include "tcp/tcp_layer.hpp"

using namespace synack;
using namespace synack::testing;
using namespace std::chrono_literals;

namespace {

std::string pattern(std::size_t n, std::size_t from) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>('a' + (from + i) % 26);
  return s;
}

std::string read_all(socket::TcpStream& c) {
  std::string out(c.readable(), '\0');
  c.read(std::span(reinterpret_cast<std::uint8_t*>(out.data()), out.size()));
  return out;
}

// Takes segments until `bytes` of payload have come, all at time `t`.
std::string take_data(SegmentScript& s, Duration t, std::size_t bytes) {
  std::string got;
  while (got.size() < bytes && !::testing::Test::HasFailure())
    got += s.expect_at(t).data;
  return got;
}

// The peer's SYN (ISN 1000) offering window scaling (shift 2); returns our
// SYN-ACK.
Out scaled_syn(SegmentScript& s) {
  Seg syn = Seg::syn(1000);
  syn.opts.window_scale = 2;
  s.inject(syn);
  return s.expect(0s, SYN | ACK, s.iss(), 1001);
}

}  // namespace

// Without a budget the first ACK opens the scaled window to the 6 MiB
// buffer (ScriptEstablished.ScaledWindowShrinksByWhatArrives); with 16 KiB
// it stays at the SYN-ACK's edge, and bytes past the room are dropped.
TEST(ScriptBufferBudget, TheWindowStopsGrowingAndBytesPastTheRoomAreDropped) {
  tcp::TcpConfig cfg;
  cfg.buffer_budget = 16 * 1024;
  SegmentScript s(cfg);
  auto l = s.listen();
  // No pressure yet: the SYN-ACK offers the buffer's 65535, as Linux's does.
  Out sa = scaled_syn(s);
  EXPECT_EQ(sa.win, 65535);
  std::uint32_t edge = 1001 + 65535;
  // A held edge is scaled down: on the wire it may fall short of the edge
  // offered by less than one unit of the scale (RFC 7323 Appendix F).
  auto held = [&edge](const Out& o) { return (edge - o.ack) >> 7; };
  s.inject(Seg::make(ACK, 1001, s.iss() + 1));
  auto c = l.accept();
  ASSERT_TRUE(c);

  // 1000 bytes take a 4 KiB block; the budget lets it double once (8 KiB
  // beside the 4 KiB held while copying; 16 KiB would not fit): 7192 bytes
  // of room, less than the edge already offered, which does not move back.
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, pattern(1000, 0)));
  Out a = s.expect(0s, ACK, s.iss() + 1, 2001);
  EXPECT_EQ(a.win, held(a));  // our shift is 7 (6 MiB buffer)
  EXPECT_EQ(a.win, 504);      // 64535 bytes, in 128s

  // 8000 bytes: 7192 fit, the rest is dropped and counted, and the ACK
  // goes at once.
  s.inject(Seg::make(ACK, 2001, s.iss() + 1, pattern(8000, 1000)));
  Out b = s.expect(0s, ACK, s.iss() + 1, 9193);
  EXPECT_EQ(b.win, held(b));
  EXPECT_EQ(c->info().stats.receive_memory_drops, 1u);
  EXPECT_EQ(s.tcp().buffer_stats().refusals, 1u);
  EXPECT_EQ(c->info().rcv_buf_memory, 8192u);

  // Reading empties the buffer and its block goes back; the room (16 KiB)
  // is still short of the edge offered, so no window update goes out.
  EXPECT_TRUE(read_all(*c) == pattern(8192, 0));
  EXPECT_EQ(c->info().rcv_buf_memory, 0u);
  s.flush();
  s.expect_silence_until(10ms);
  // The dropped bytes, sent again, are taken.
  s.inject(Seg::make(ACK, 9193, s.iss() + 1, pattern(808, 8192)));
  s.expect(10ms, ACK, s.iss() + 1, 10001);
  EXPECT_TRUE(read_all(*c) == pattern(808, 8192));
  EXPECT_EQ(c->info().stats.receive_memory_drops, 1u);
}

// Under pressure (two thirds of the budget held) a SYN-ACK offers only the
// first block, which is always granted: the peer's first flight is not sent
// into room the budget no longer has, so nothing is dropped.
TEST(ScriptBufferBudget, UnderPressureASynAckOffersOnlyTheFirstBlock) {
  tcp::TcpConfig cfg;
  cfg.buffer_budget = 4096;
  SegmentScript s(cfg);
  auto l = s.listen();
  auto a = s.established_passive(l);                              // offered 65535: no pressure yet
  s.inject(Seg::make(ACK, 1001, s.iss() + 1, pattern(4000, 0)));  // the whole budget
  s.expect(0s, ACK, s.iss() + 1, 5001);
  EXPECT_EQ(s.tcp().buffer_stats().outstanding_bytes, 4096u);
  EXPECT_EQ(s.tcp().buffer_stats().pressure_entered, 1u);

  Seg syn = Seg::syn(7000);
  syn.src_port = 4001;
  s.inject(syn);
  Out sa = s.expect_any_seq(0s, SYN | ACK, 7001);
  EXPECT_EQ(sa.win, 4096);
  Seg ack = Seg::make(ACK, 7001, sa.seq + 1);
  ack.src_port = 4001;
  s.inject(ack);
  auto b = l.accept();
  ASSERT_TRUE(b);
  // 6000 bytes: the window takes 4096 (its first block, granted past the
  // budget); the rest is past the window, not dropped for want of memory.
  Seg data = Seg::make(ACK, 7001, sa.seq + 1, pattern(6000, 0));
  data.src_port = 4001;
  s.inject(data);
  Out ab = s.expect_any_seq(0s, ACK, 7001 + 4096);
  EXPECT_EQ(ab.win, 0);
  EXPECT_EQ(b->info().stats.receive_memory_drops, 0u);
  EXPECT_EQ(s.tcp().buffer_stats().forced, 1u);
  EXPECT_EQ(s.tcp().buffer_stats().peak_outstanding_bytes, 8192u);

  // The first reader gives its block back: still under pressure (4096 held
  // of 4096), and the second's window stays shut while its block is full.
  EXPECT_TRUE(read_all(a) == pattern(4000, 0));
  Seg rest = Seg::make(ACK, 7001 + 4096, sa.seq + 1, pattern(1904, 4096));
  rest.src_port = 4001;
  s.inject(rest);
  Out shut = s.expect_any_seq(0s, ACK, 7001 + 4096);
  EXPECT_EQ(shut.win, 0);
  // Once it reads, the block goes back, the window reopens, and the rest
  // is taken.
  EXPECT_TRUE(read_all(*b) == pattern(4096, 0));
  s.flush();
  Out upd = s.expect_any_seq(0s, ACK, 7001 + 4096);
  EXPECT_EQ(upd.win, 4096);
  s.inject(rest);
  s.expect_any_seq(0s, ACK, 7001 + 6000);
  EXPECT_TRUE(read_all(*b) == pattern(1904, 4096));
  EXPECT_EQ(b->info().stats.receive_memory_drops, 0u);
  EXPECT_EQ(s.tcp().buffer_stats().outstanding_bytes, 0u);
}

// A half-open entry's ACK (here a challenge ACK for an in-window RST)
// offers the SYN-ACK's window scaled, as the peer reads it once both SYNs
// carried the option (RFC 7323 §2.2), and keeps its edge.
TEST(ScriptBufferBudget, AHalfOpenEntrysAckScalesTheWindowItsSynAckOffered) {
  SegmentScript s;
  auto l = s.listen();
  Out sa = scaled_syn(s);
  EXPECT_EQ(sa.win, 65535);
  s.inject(Seg::make(RST, 1001 + 100, 0));  // in the window, not exact
  Out challenge = s.expect(0s, ACK, s.iss() + 1, 1001);
  EXPECT_EQ(challenge.win, 65535 >> 7);
  // Past the offered window (65535 from 1001): dropped, no challenge.
  s.inject(Seg::make(RST, 1001 + 70000, 0));
  s.expect_silence_until(10ms);
}

TEST(ScriptBufferBudget, WritesAreCutShortAndResumeOnceAcknowledged) {
  tcp::TcpConfig cfg;
  cfg.buffer_budget = 8192;
  SegmentScript s(cfg);
  auto l = s.listen();
  auto c = s.established_passive(l);
  const std::string data = pattern(20000, 0);
  EXPECT_EQ(c.writable(), 8192u);
  EXPECT_EQ(c.write(data), 8192u);
  EXPECT_EQ(c.writable(), 0u);
  EXPECT_EQ(c.write(std::string_view(data).substr(8192)), 0u);
  EXPECT_EQ(s.tcp().buffer_stats().refusals, 2u);
  s.flush();
  EXPECT_TRUE(take_data(s, 0s, 8192) == data.substr(0, 8192));
  // Everything acknowledged: the block goes back and the next write takes
  // the budget again.
  s.inject(Seg::make(ACK, 1001, s.iss() + 1 + 8192));
  EXPECT_EQ(c.info().snd_buf_memory, 0u);
  EXPECT_EQ(c.writable(), 8192u);
  EXPECT_EQ(c.write(std::string_view(data).substr(8192)), 8192u);
  s.flush();
  EXPECT_TRUE(take_data(s, 0s, 8192) == data.substr(8192, 8192));
}

TEST(ScriptBufferBudget, WithNoBudgetAnEmptyBufferStillTakesOneBlock) {
  tcp::TcpConfig cfg;
  cfg.buffer_budget = 0;
  SegmentScript s(cfg);
  auto l = s.listen();
  s.inject(Seg::syn(1000));
  Out sa = s.expect(0s, SYN | ACK, s.iss(), 1001);
  EXPECT_EQ(sa.win, 4096);  // always under pressure: the first block
  s.inject(Seg::make(ACK, 1001, s.iss() + 1));
  auto c = l.accept();
  ASSERT_TRUE(c);
  const std::string data = pattern(5000, 0);
  EXPECT_EQ(c->write(data), 4096u);
  EXPECT_EQ(s.tcp().buffer_stats().forced, 1u);
  s.flush();
  EXPECT_TRUE(take_data(s, 0s, 4096) == data.substr(0, 4096));
  s.inject(Seg::make(ACK, 1001, s.iss() + 1 + 4096, pattern(1000, 0)));
  s.expect(0s, ACK, s.iss() + 1 + 4096, 2001);
  EXPECT_TRUE(read_all(*c) == pattern(1000, 0));
  EXPECT_EQ(c->write(std::string_view(data).substr(4096)), 904u);
  EXPECT_EQ(s.tcp().buffer_stats().forced, 3u);
}
