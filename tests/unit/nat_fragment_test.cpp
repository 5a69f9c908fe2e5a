// IPv4 reassembly and fragmentation at the router (RFC 4787 REQ-14, RFC 791
// §3.2, RFC 1812 §5.2.6): fragments in any order make the exact original
// datagram; overlaps, timeouts and the memory limits drop what they must;
// fragmenting produces exactly RFC 791's fragments.
#include <gtest/gtest.h>

#include "apps/nat/fragment_reassembler.hpp"
#include "apps/nat/ipv4_fragmenter.hpp"
#include "apps/nat/packet_rewriter.hpp"
#include "nat_test_packets.hpp"

namespace synack::nat {
namespace {

using namespace synack::nat::testing;
using namespace std::chrono_literals;

const Ipv4Address kA(10, 0, 1, 201), kB(198, 51, 100, 7);
const Instant t0 = instant_from_us(1'000'000);

Bytes big_udp(std::size_t len, std::uint16_t ident = 0x1234, std::uint16_t sport = 5000) {
  Bytes data(len);
  for (std::size_t i = 0; i < len; ++i)
    data[i] = static_cast<std::uint8_t>(i * 7 + 3);
  Bytes p = udp_packet(kA, sport, kB, 9, data);
  p[4] = std::uint8_t(ident >> 8);
  p[5] = std::uint8_t(ident);
  return without_df(p);
}

Bytes add_all(FragmentReassembler& r, const std::vector<Bytes>& frags, Instant now = t0) {
  Bytes got;
  for (std::size_t i = 0; i < frags.size(); ++i) {
    auto d = r.add(now, frags[i]);
    if (d) {
      EXPECT_EQ(i + 1, frags.size()) << "complete before the last fragment";
      got.assign(d->packet.begin(), d->packet.end());
    }
  }
  return got;
}

TEST(FragmentReassembler, InOrderAndOutOfOrderGiveTheExactDatagram) {
  Bytes p = big_udp(4000);
  auto f = split(p, {1480, 1480});
  FragmentReassembler r;
  EXPECT_EQ(add_all(r, f), p);
  // Last first, then the middle, then the first (RFC 4787 REQ-14).
  EXPECT_EQ(add_all(r, {f[2], f[1], f[0]}), p);
  EXPECT_EQ(add_all(r, {f[1], f[2], f[0]}), p);
  EXPECT_EQ(r.counters().reassembled, 3u);
  EXPECT_EQ(r.datagrams(), 0u);
  EXPECT_EQ(r.bytes(), 0u);
  EXPECT_TRUE(checksums_valid(p));
}

// The ECN field of one fragment, with its header checksum made right again.
Bytes with_ecn(Bytes frag, std::uint8_t ecn) {
  frag[1] = static_cast<std::uint8_t>((frag[1] & ~3) | ecn);
  std::size_t hl = std::size_t(frag[0] & 0x0f) * 4;
  frag[10] = frag[11] = 0;
  std::uint16_t sum = wire::internet_checksum(std::span<const std::uint8_t>(frag).first(hl));
  frag[10] = std::uint8_t(sum >> 8);
  frag[11] = std::uint8_t(sum);
  return frag;
}

TEST(FragmentReassembler, ACongestionMarkOnAnyFragmentIsKept) {
  // RFC 3168 §5.3: a CE on the last fragment of an ECT(0) datagram is on
  // the reassembled datagram; with a Not-ECT fragment beside it, the
  // datagram is dropped instead.
  Bytes p = big_udp(3000);
  auto f = split(p, {1480, 1480});
  ASSERT_EQ(f.size(), 3u);
  FragmentReassembler r;
  Bytes got = add_all(r, {with_ecn(f[0], 2), with_ecn(f[1], 2), with_ecn(f[2], 3)});
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got[1] & 3, 3);
  EXPECT_TRUE(checksums_valid(got));
  got = add_all(r, {with_ecn(f[0], 2), with_ecn(f[1], 2), with_ecn(f[2], 2)});
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got[1] & 3, 2);
  EXPECT_TRUE(add_all(r, {with_ecn(f[0], 0), with_ecn(f[1], 0), with_ecn(f[2], 3)}).empty());
  EXPECT_EQ(r.counters().malformed, 1u);
  EXPECT_EQ(r.datagrams(), 0u);
}

TEST(FragmentReassembler, InterleavedDatagramsAreKeptApart) {
  Bytes p = big_udp(3000, 1), q = big_udp(3000, 2, 5001);
  auto fp = split(p, {1480}), fq = split(q, {1024, 8});
  FragmentReassembler r;
  EXPECT_FALSE(r.add(t0, fq[2]));
  EXPECT_FALSE(r.add(t0, fp[1]));
  EXPECT_FALSE(r.add(t0, fq[0]));
  auto dp = r.add(t0, fp[0]);
  ASSERT_TRUE(dp);
  EXPECT_EQ(Bytes(dp->packet.begin(), dp->packet.end()), p);
  EXPECT_EQ(dp->largest_fragment, 1548u);  // the second: 20 + 1528
  auto dq = r.add(t0, fq[1]);
  ASSERT_TRUE(dq);
  EXPECT_EQ(Bytes(dq->packet.begin(), dq->packet.end()), q);
}

TEST(FragmentReassembler, DuplicatesAreIgnoredAndOverlapsDropTheDatagram) {
  Bytes p = big_udp(3000);
  auto f = split(p, {1480});
  FragmentReassembler r;
  EXPECT_FALSE(r.add(t0, f[0]));
  EXPECT_FALSE(r.add(t0, f[0]));
  EXPECT_EQ(r.counters().duplicates, 1u);
  auto d = r.add(t0, f[1]);
  ASSERT_TRUE(d);
  EXPECT_EQ(Bytes(d->packet.begin(), d->packet.end()), p);
  // A fragment overlapping another (RFC 1858's attack on the ports): the
  // whole datagram goes, and the rest cannot complete it.
  auto g = split(p, {1480});
  auto overlap = split(p, {8, 1464});  // data 8..1471 overlaps g[0]
  EXPECT_FALSE(r.add(t0, g[0]));
  EXPECT_FALSE(r.add(t0, overlap[1]));
  EXPECT_EQ(r.counters().overlaps, 1u);
  EXPECT_EQ(r.datagrams(), 0u);
  EXPECT_FALSE(r.add(t0, g[1]));
}

TEST(FragmentReassembler, IncompleteDatagramsTimeOut) {
  Bytes p = big_udp(3000);
  auto f = split(p, {1480});
  FragmentReassembler r;
  EXPECT_FALSE(r.add(t0, f[0]));
  EXPECT_EQ(r.poll_at(), t0 + 30s);
  r.expire(t0 + 29s);
  EXPECT_EQ(r.datagrams(), 1u);
  r.expire(t0 + 30s);
  EXPECT_EQ(r.datagrams(), 0u);
  EXPECT_EQ(r.bytes(), 0u);
  EXPECT_EQ(r.counters().timed_out, 1u);
  EXPECT_EQ(r.poll_at(), kNever);
  // The second half alone, after the timeout, completes nothing.
  EXPECT_FALSE(r.add(t0 + 31s, f[1]));
}

TEST(FragmentReassembler, MemoryIsBoundedByEvictingTheOldest) {
  ReassemblyLimits lim;
  lim.max_datagrams = 4;
  lim.max_bytes = 8000;
  FragmentReassembler r(lim);
  // First fragments of 10 datagrams that never complete.
  for (std::uint16_t id = 0; id < 10; ++id)
    EXPECT_FALSE(r.add(t0 + std::chrono::milliseconds(id), split(big_udp(3000, id), {1480})[0]));
  EXPECT_LE(r.datagrams(), 4u);
  EXPECT_LE(r.bytes(), 8000u);
  EXPECT_EQ(r.counters().evicted, 6u);
  // A new datagram still gets through whole.
  Bytes p = big_udp(3000, 77);
  EXPECT_EQ(add_all(r, split(p, {1480}), t0 + 1s), p);
  EXPECT_LE(r.bytes(), 8000u);
}

TEST(FragmentReassembler, InconsistentFragmentsAreDropped) {
  Bytes p = big_udp(3000);
  auto f = split(p, {1480});
  FragmentReassembler r;
  // Not a multiple of 8 with MF set (RFC 791 §3.2).
  auto odd = split(p, {1001});
  EXPECT_FALSE(r.add(t0, odd[0]));
  EXPECT_EQ(r.counters().malformed, 1u);
  EXPECT_EQ(r.datagrams(), 0u);
  // Past 65535 bytes in all (the "ping of death").
  Bytes death = f[1];
  death[6] = 0x1f;  // offset 8191 * 8
  death[7] = 0xff;
  EXPECT_FALSE(r.add(t0, with_ttl(death, death[8])));
  EXPECT_EQ(r.counters().malformed, 2u);
  EXPECT_EQ(r.datagrams(), 0u);
}

TEST(Ipv4Fragmenter, SplitsAsRfc791Says) {
  Bytes p = big_udp(4000);  // 4028 bytes
  std::vector<Bytes> out;
  std::size_t n = fragment_ipv4(p, 1500, [&](std::size_t len) {
    out.emplace_back(len);
    return std::span<std::uint8_t>(out.back());
  });
  ASSERT_EQ(n, 3u);
  // 1480 data bytes (a multiple of 8) per full fragment.
  EXPECT_EQ(out, split(p, {1480, 1480}));
  // An MTU that is not 8-aligned rounds the data down.
  out.clear();
  EXPECT_EQ(fragment_ipv4(p, 1006,
                          [&](std::size_t len) {
                            out.emplace_back(len);
                            return std::span<std::uint8_t>(out.back());
                          }),
            5u);
  EXPECT_EQ(out, split(p, {984, 984, 984, 984}));
  FragmentReassembler r;
  EXPECT_EQ(add_all(r, out), p);
  // No room for 8 bytes: nothing is written.
  out.clear();
  EXPECT_EQ(fragment_ipv4(p, 27,
                          [&](std::size_t len) {
                            out.emplace_back(len);
                            return std::span<std::uint8_t>(out.back());
                          }),
            0u);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace synack::nat
