// MSS negotiation (RFC 9293 §3.7.1, RFC 6691): ours from the device MTU, the
// peer's from its SYN, 536 when the option is absent, tiny values clamped.
#include <gtest/gtest.h>

#include "support/segment_script.hpp"

using namespace synack;
using namespace synack::testing;
using namespace std::chrono_literals;

namespace {
// Opens with the given SYN, writes 3000 bytes and returns the sizes sent.
std::vector<std::size_t> segment_sizes(Seg syn) {
  SegmentScript s;
  auto l = s.listen();
  s.inject(syn);
  Out sa = s.expect(0s, SYN | ACK, s.iss(), 1001);
  EXPECT_EQ(sa.opts.mss, 1460);  // MTU 1500 - 40
  s.inject(Seg::make(ACK, 1001, s.iss() + 1));
  auto c = l.accept();
  EXPECT_TRUE(c);
  c->write(std::string(3000, 'm'));
  s.flush();
  std::vector<std::size_t> sizes;
  std::uint32_t seq = s.iss() + 1;
  // At most the initial window of ten segments leaves at once.
  while (seq < s.iss() + 1 + 3000 && sizes.size() < 10) {
    Out o = s.expect_at(0s);
    EXPECT_EQ(o.seq, seq);
    sizes.push_back(o.data.size());
    seq += static_cast<std::uint32_t>(o.data.size());
  }
  return sizes;
}
}  // namespace

TEST(ScriptMss, PeerMssBoundsOurSegments) {
  EXPECT_EQ(segment_sizes(Seg::syn(1000, 1200)), (std::vector<std::size_t>{1200, 1200, 600}));
}

TEST(ScriptMss, NoOptionMeans536) {
  Seg syn = Seg::syn(1000);
  syn.opts.mss.reset();
  auto sizes = segment_sizes(syn);
  ASSERT_EQ(sizes.size(), 6u);
  EXPECT_EQ(sizes[0], 536u);  // RFC 9293 §3.7.1 default
  EXPECT_EQ(sizes[5], 3000u - 5 * 536);
}

TEST(ScriptMss, TinyMssIsClampedToSixtyFour) {
  // A peer announcing MSS 1 would make us send one byte per segment; like
  // Linux's tcp_min_snd_mss we refuse to go that low.
  auto sizes = segment_sizes(Seg::syn(1000, 1));
  EXPECT_EQ(sizes, std::vector<std::size_t>(10, 64));
}
