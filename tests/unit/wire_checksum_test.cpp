// Internet checksum (RFC 1071), pseudo-header sum (RFC 9293 §3.1) and
// incremental update (RFC 1624). Reference values computed with scapy.
#include "wire/checksum.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "wire/bytes.hpp"

namespace synack::wire {
namespace {

using Bytes = std::vector<std::uint8_t>;

// IPv4 header of a SYN 10.0.0.1 -> 10.0.0.2 (scapy); checksum 0x1486 at [10].
const Bytes kIpHeader = {0x45, 0x00, 0x00, 0x3c, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06,
                         0x14, 0x86, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02};

TEST(WireChecksum, Rfc1071Example) {
  // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (after folding).
  Bytes b = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(checksum_fold(checksum_accumulate(0, b)), 0xddf2);
  EXPECT_EQ(internet_checksum(b), 0x220d);
}

TEST(WireChecksum, OddLengthPadsWithZero) {
  Bytes b = {0x01, 0x02, 0x03};  // words 0102 0300
  EXPECT_EQ(checksum_fold(checksum_accumulate(0, b)), 0x0402);
  EXPECT_EQ(internet_checksum(b), 0xfbfd);
}

TEST(WireChecksum, EmptyInput) {
  EXPECT_EQ(checksum_accumulate(0, {}), 0u);
  EXPECT_EQ(checksum_accumulate(1234, {}), 1234u);
  EXPECT_EQ(internet_checksum({}), 0xffff);
}

TEST(WireChecksum, KnownIpv4Header) {
  Bytes h = kIpHeader;
  EXPECT_EQ(internet_checksum(h), 0);  // a valid header sums to all ones
  h[10] = h[11] = 0;
  EXPECT_EQ(internet_checksum(h), 0x1486);
}

TEST(WireChecksum, AccumulateChainsOverEvenSplits) {
  Bytes a(kIpHeader.begin(), kIpHeader.begin() + 8), b(kIpHeader.begin() + 8, kIpHeader.end());
  EXPECT_EQ(checksum_fold(checksum_accumulate(checksum_accumulate(0, a), b)),
            checksum_fold(checksum_accumulate(0, kIpHeader)));
}

// The word-at-a-time definition of RFC 1071 §1, for comparison.
std::uint16_t reference_sum(std::uint32_t sum, const std::uint8_t* p, std::size_t n) {
  std::uint64_t s = sum;
  for (std::size_t i = 0; i + 1 < n; i += 2)
    s += (std::uint32_t(p[i]) << 8) | p[i + 1];
  if (n % 2) s += std::uint32_t(p[n - 1]) << 8;
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint16_t>(s);
}

TEST(WireChecksum, WideSumMatchesTheWordByWordDefinition) {
  std::mt19937 rng(7);
  Bytes buf(70000);
  for (auto& b : buf)
    b = static_cast<std::uint8_t>(rng());
  // Every length to 300 at every alignment to 8, then large ones; all-ones
  // data pushes every carry path.
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1) std::fill(buf.begin(), buf.end(), 0xff);
    for (std::size_t off = 0; off < 8; ++off)
      for (std::size_t n = 0; n <= 300; ++n) {
        std::span<const std::uint8_t> d(buf.data() + off, n);
        ASSERT_EQ(checksum_fold(checksum_accumulate(0xabcd, d)), reference_sum(0xabcd, d.data(), n))
            << "off " << off << " len " << n;
        ASSERT_EQ(checksum_fold(checksum_accumulate_portable(0xabcd, d)),
                  reference_sum(0xabcd, d.data(), n))
            << "portable, off " << off << " len " << n;
      }
    for (std::size_t n : {1499u, 1500u, 65535u, 65536u, 69999u}) {
      std::span<const std::uint8_t> d(buf.data(), n);
      ASSERT_EQ(checksum_fold(checksum_accumulate(0xffffffff, d)),
                reference_sum(0xffffffff, d.data(), n));
      ASSERT_EQ(checksum_fold(checksum_accumulate_portable(0xffffffff, d)),
                reference_sum(0xffffffff, d.data(), n));
    }
  }
}

TEST(WireChecksum, CopyAndSumInOnePass) {
  std::mt19937 rng(11);
  Bytes src(2000), dst(2000);
  for (auto& b : src)
    b = static_cast<std::uint8_t>(rng());
  for (std::size_t n : {0u, 1u, 15u, 16u, 17u, 1447u, 1448u, 2000u}) {
    std::fill(dst.begin(), dst.end(), 0);
    std::uint32_t s = checksum_copy(77, std::span(dst.data(), n), std::span(src.data(), n));
    EXPECT_EQ(checksum_fold(s), reference_sum(77, src.data(), n));
    EXPECT_TRUE(std::equal(src.begin(), src.begin() + n, dst.begin()));
    EXPECT_EQ(dst[n % dst.size()], n == dst.size() ? dst[0] : 0);  // nothing past n
  }
}

TEST(WireChecksum, FoldCarriesRepeatedly) {
  EXPECT_EQ(checksum_fold(0), 0);
  EXPECT_EQ(checksum_fold(0xffff), 0xffff);
  EXPECT_EQ(checksum_fold(0x10000), 0x0001);
  EXPECT_EQ(checksum_fold(0x1fffe), 0xffff);  // 0xfffe + 1
  EXPECT_EQ(checksum_fold(0xffffffff), 0xffff);
  EXPECT_EQ(checksum_fold(0x0001ffff), 0x0001);  // 0xffff + 1 = 0x10000 -> 1
}

TEST(WireChecksum, AccumulateHandlesLargeBuffers) {
  Bytes big(1 << 20, 0xff);
  // Sum of 2^19 words of 0xffff is 0xffff in one's complement.
  EXPECT_EQ(checksum_fold(checksum_accumulate(0, big)), 0xffff);
  EXPECT_EQ(internet_checksum(big), 0);
}

TEST(WireChecksum, PseudoHeaderSum) {
  PseudoHeader ph{Ipv4Address(10, 0, 0, 1), Ipv4Address(10, 0, 0, 2), 6, 40};
  // 0a00 + 0001 + 0a00 + 0002 + 0006 + 0028
  EXPECT_EQ(checksum_fold(pseudo_header_sum(ph)), 0x1431);
  PseudoHeader hi{Ipv4Address(255, 255, 255, 255), Ipv4Address(255, 255, 0, 1), 17, 0xffff};
  std::uint32_t want = 0xffff * 3 + 0x0001 + 17 + 0xffff;
  EXPECT_EQ(checksum_fold(pseudo_header_sum(hi)), checksum_fold(want));
}

TEST(WireChecksum, PseudoHeaderMatchesExplicitBytes) {
  PseudoHeader ph{Ipv4Address(192, 168, 1, 10), Ipv4Address(93, 184, 216, 34), 6, 25};
  Bytes raw = {192, 168, 1, 10, 93, 184, 216, 34, 0, 6, 0, 25};
  EXPECT_EQ(checksum_fold(pseudo_header_sum(ph)), checksum_fold(checksum_accumulate(0, raw)));
}

TEST(WireChecksum, Rfc1624Section4Example) {
  // RFC 1624 §4: HC = 0xDD2F, m = 0x5555 -> m' = 0x3285 gives HC' = 0x0000
  // with eqn. 3 (eqn. 2 would give the wrong 0xFFFF).
  EXPECT_EQ(checksum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
}

TEST(WireChecksum, UpdateWithSameValueIsIdentity) {
  EXPECT_EQ(checksum_update16(0x1486, 0xabcd, 0xabcd), 0x1486);
  EXPECT_EQ(checksum_update32(0x1486, 0x0a000001, 0x0a000001), 0x1486);
}

TEST(WireChecksum, Update16OnKnownHeaderTtlChange) {
  // Decrementing TTL 64 -> 63 changes the word at [8] from 0x4006 to 0x3f06.
  Bytes h = kIpHeader;
  std::uint16_t c = checksum_update16(0x1486, 0x4006, 0x3f06);
  h[8] = 63;
  store_be16(h, 10, c);
  EXPECT_EQ(internet_checksum(h), 0);
  h[10] = h[11] = 0;
  EXPECT_EQ(internet_checksum(h), c);
}

// Randomised: rewriting a 16- or 32-bit aligned field with the incremental
// update gives the same checksum as computing it from scratch.
TEST(WireChecksum, IncrementalUpdateEqualsRecomputation) {
  std::mt19937 rng(1624);
  for (int iter = 0; iter < 20000; ++iter) {
    std::size_t words = 2 + rng() % 40;
    Bytes data(words * 2);
    for (auto& b : data)
      b = static_cast<std::uint8_t>(rng());
    data[0] |= 1;  // never all zero: RFC 1624 §3 notes the -0/+0 corner only then
    std::uint16_t before = internet_checksum(data);
    bool wide = rng() % 2 && words >= 3;
    std::size_t at = 2 * (1 + rng() % (words - (wide ? 2 : 1)));
    std::uint16_t got;
    if (wide) {
      std::uint32_t old_v = load_be32(data, at), new_v = static_cast<std::uint32_t>(rng());
      store_be32(data, at, new_v);
      got = checksum_update32(before, old_v, new_v);
    } else {
      std::uint16_t old_v = load_be16(data, at), new_v = static_cast<std::uint16_t>(rng());
      if (iter % 7 == 0) new_v = 0;
      if (iter % 11 == 0) new_v = 0xffff;
      store_be16(data, at, new_v);
      got = checksum_update16(before, old_v, new_v);
    }
    ASSERT_EQ(got, internet_checksum(data)) << "iter " << iter << " at " << at;
  }
}

}  // namespace
}  // namespace synack::wire
