// IPv4 header view and repr (RFC 791 §3.1). Packets built with scapy.
#include "wire/ipv4.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <vector>

#include "wire/checksum.hpp"

namespace synack::wire {
namespace {

using Bytes = std::vector<std::uint8_t>;
using ConstView = Ipv4View<const std::uint8_t>;

// 10.0.0.1 -> 10.0.0.2, id 0x1234, DF, TTL 64, TCP, total 60 (TCP SYN after).
const Bytes kSynPacket = {0x45, 0x00, 0x00, 0x3c, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x14, 0x86,
                          0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x9c, 0x40, 0x00, 0x50,
                          0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0,
                          0x54, 0x10, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
                          0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07};

// IHL 6 (router alert option 94 04 00 00), ICMP echo reply, 172.16.0.5 -> .9.
const Bytes kIhl6Packet = {0x46, 0x00, 0x00, 0x22, 0xab, 0xcd, 0x00, 0x00, 0x01, 0x01, 0x20, 0xdb,
                           0xac, 0x10, 0x00, 0x05, 0xac, 0x10, 0x00, 0x09, 0x94, 0x04, 0x00, 0x00,
                           0x00, 0x00, 0x87, 0x83, 0x00, 0x01, 0x00, 0x02, 0x78, 0x79};

// IHL 7 (7 NOPs + EOL), UDP 1 -> 2, 10.1.2.3 -> 10.3.2.1, TTL 255, no DF.
const Bytes kIhl7Packet = {0x47, 0x00, 0x00, 0x24, 0x01, 0x02, 0x00, 0x00, 0xff, 0x11, 0x9c, 0xbc,
                           0x0a, 0x01, 0x02, 0x03, 0x0a, 0x03, 0x02, 0x01, 0x01, 0x01, 0x01, 0x01,
                           0x01, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x08, 0xe7, 0xd3};

// Fragments (valid checksums) of a 28-byte packet: MF set; offset 185; DF+MF offset 1.
const Bytes kFragMf = {0x45, 0x00, 0x00, 0x1c, 0x42, 0x42, 0x20, 0x00, 0x40, 0x06,
                       0x04, 0x98, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
                       0,    0,    0,    0,    0,    0,    0,    0};
const Bytes kFragOffset = {0x45, 0x00, 0x00, 0x1c, 0x42, 0x42, 0x00, 0xb9, 0x40, 0x06,
                           0x23, 0xdf, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
                           0,    0,    0,    0,    0,    0,    0,    0};
const Bytes kFragBoth = {0x45, 0x00, 0x00, 0x1c, 0x42, 0x42, 0x60, 0x01, 0x40, 0x06,
                         0xc4, 0x96, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
                         0,    0,    0,    0,    0,    0,    0,    0};

// Recomputes the header checksum after a test edits a field.
void fix_checksum(Bytes& b) {
  std::size_t hlen = std::size_t(b[0] & 0x0f) * 4;
  b[10] = b[11] = 0;
  std::uint16_t c = internet_checksum(std::span(b).first(hlen));
  b[10] = std::uint8_t(c >> 8);
  b[11] = std::uint8_t(c);
}

WireError check_error(const Bytes& b) {
  auto v = ConstView::checked(b);
  EXPECT_FALSE(v.ok());
  return v.ok() ? WireError::Unsupported : v.error();
}

WireError parse_error(const Bytes& b) {
  auto v = ConstView::checked(b);
  EXPECT_TRUE(v.ok());
  if (!v.ok()) return v.error();
  auto r = Ipv4Repr::parse(*v);
  EXPECT_FALSE(r.ok());
  return r.ok() ? WireError::Unsupported : r.error();
}

TEST(WireIpv4, ViewGettersOnRealPacket) {
  auto v = ConstView::checked(kSynPacket);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->version(), 4);
  EXPECT_EQ(v->header_len(), 20u);
  EXPECT_EQ(v->dscp_ecn(), 0);
  EXPECT_EQ(v->total_len(), 60);
  EXPECT_EQ(v->ident(), 0x1234);
  EXPECT_TRUE(v->dont_frag());
  EXPECT_FALSE(v->more_frags());
  EXPECT_EQ(v->frag_offset(), 0);
  EXPECT_EQ(v->ttl(), 64);
  EXPECT_EQ(v->protocol(), 6);
  EXPECT_EQ(v->checksum(), 0x1486);
  EXPECT_EQ(v->src(), Ipv4Address(10, 0, 0, 1));
  EXPECT_EQ(v->dst(), Ipv4Address(10, 0, 0, 2));
  EXPECT_EQ(v->header().size(), 20u);
  ASSERT_EQ(v->payload().size(), 40u);
  EXPECT_EQ(v->payload().data(), kSynPacket.data() + 20);
  EXPECT_EQ(v->bytes().size(), 60u);
}

TEST(WireIpv4, ReprParseExactFields) {
  auto v = ConstView::checked(kSynPacket);
  ASSERT_TRUE(v.ok());
  auto r = Ipv4Repr::parse(*v);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->src, Ipv4Address(10, 0, 0, 1));
  EXPECT_EQ(r->dst, Ipv4Address(10, 0, 0, 2));
  EXPECT_EQ(r->protocol, static_cast<std::uint8_t>(IpProtocol::Tcp));
  EXPECT_EQ(r->ttl, 64);
  EXPECT_EQ(r->ident, 0x1234);
  EXPECT_TRUE(r->dont_frag);
  EXPECT_EQ(r->payload_len, 40);
  EXPECT_EQ(r->header_len(), 20u);
}

TEST(WireIpv4, EmitMatchesScapyByteForByte) {
  Ipv4Repr r;
  r.src = Ipv4Address(10, 0, 0, 1);
  r.dst = Ipv4Address(10, 0, 0, 2);
  r.protocol = 6;
  r.ttl = 64;
  r.ident = 0x1234;
  r.dont_frag = true;
  r.payload_len = 40;
  Bytes out(20, 0xaa);
  r.emit(out);
  EXPECT_EQ(out, Bytes(kSynPacket.begin(), kSynPacket.begin() + 20));
}

TEST(WireIpv4, EmitWithoutDontFragThenParse) {
  Ipv4Repr r;
  r.src = Ipv4Address(192, 168, 0, 1);
  r.dst = Ipv4Address(8, 8, 4, 4);
  r.protocol = 17;
  r.ttl = 3;
  r.ident = 0xfffe;
  r.dont_frag = false;
  r.payload_len = 5;
  Bytes out(25, 0);
  r.emit(out);
  EXPECT_EQ(out[6], 0x00);
  EXPECT_EQ(out[2], 0);
  EXPECT_EQ(out[3], 25);
  auto v = ConstView::checked(out);
  ASSERT_TRUE(v.ok());
  auto back = Ipv4Repr::parse(*v);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->src, r.src);
  EXPECT_EQ(back->dst, r.dst);
  EXPECT_EQ(back->protocol, r.protocol);
  EXPECT_EQ(back->ttl, r.ttl);
  EXPECT_EQ(back->ident, r.ident);
  EXPECT_FALSE(back->dont_frag);
  EXPECT_EQ(back->payload_len, 5);
}

TEST(WireIpv4, TruncatedBelowMinimumHeader) {
  for (std::size_t n = 0; n < 20; ++n) {
    Bytes b(kSynPacket.begin(), kSynPacket.begin() + n);
    EXPECT_EQ(check_error(b), WireError::Truncated) << n;
  }
}

TEST(WireIpv4, BadVersion) {
  for (std::uint8_t first : {0x65, 0x05, 0x35, 0xf5}) {
    Bytes b = kSynPacket;
    b[0] = first;
    EXPECT_EQ(check_error(b), WireError::BadVersion) << int(first);
  }
}

TEST(WireIpv4, IhlBelowFive) {
  for (std::uint8_t ihl = 0; ihl < 5; ++ihl) {
    Bytes b = kSynPacket;
    b[0] = 0x40 | ihl;
    EXPECT_EQ(check_error(b), WireError::BadHeaderLength) << int(ihl);
  }
}

TEST(WireIpv4, IhlPastBuffer) {
  Bytes b(kSynPacket.begin(), kSynPacket.begin() + 24);  // 24 bytes
  b[2] = 0;
  b[3] = 24;
  b[0] = 0x47;  // claims 28 bytes of header
  EXPECT_EQ(check_error(b), WireError::BadHeaderLength);
  b[0] = 0x46;  // 24 fits exactly
  fix_checksum(b);
  EXPECT_TRUE(ConstView::checked(b).ok());
  b[0] = 0x4f;  // the largest IHL: 60 bytes cannot fit in 24
  EXPECT_EQ(check_error(b), WireError::BadHeaderLength);
}

TEST(WireIpv4, TotalLengthSmallerThanHeader) {
  Bytes b = kSynPacket;
  b[2] = 0;
  b[3] = 19;
  EXPECT_EQ(check_error(b), WireError::BadTotalLength);
  b[3] = 0;
  EXPECT_EQ(check_error(b), WireError::BadTotalLength);
  Bytes o = kIhl6Packet;  // header is 24 bytes
  o[3] = 23;
  EXPECT_EQ(check_error(o), WireError::BadTotalLength);
}

TEST(WireIpv4, TotalLengthPastBuffer) {
  Bytes b = kSynPacket;
  b[3] = 61;
  EXPECT_EQ(check_error(b), WireError::BadTotalLength);
  b[2] = 0xff;
  b[3] = 0xff;
  EXPECT_EQ(check_error(b), WireError::BadTotalLength);
  // The same packet cut short by one byte.
  Bytes cut(kSynPacket.begin(), kSynPacket.end() - 1);
  EXPECT_EQ(check_error(cut), WireError::BadTotalLength);
}

TEST(WireIpv4, TrailingLinkPaddingIsExcludedFromPayload) {
  Bytes b = kFragMf;  // reuse the 28-byte shape, clear MF
  b[6] = 0x00;
  fix_checksum(b);
  b.resize(60, 0xee);  // Ethernet minimum-frame padding
  auto v = ConstView::checked(b);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->payload().size(), 8u);
  auto r = Ipv4Repr::parse(*v);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->payload_len, 8);
}

TEST(WireIpv4, HeaderOnlyPacket) {
  Bytes b(kSynPacket.begin(), kSynPacket.begin() + 20);
  b[3] = 20;
  fix_checksum(b);
  auto v = ConstView::checked(b);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->payload().empty());
  auto r = Ipv4Repr::parse(*v);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->payload_len, 0);
}

TEST(WireIpv4, BadHeaderChecksum) {
  Bytes b = kSynPacket;
  b[11] ^= 0x01;
  EXPECT_EQ(parse_error(b), WireError::BadChecksum);
  b = kSynPacket;
  b[8] = 63;  // TTL changed without updating the checksum
  EXPECT_EQ(parse_error(b), WireError::BadChecksum);
  b = kIhl6Packet;
  b[22] = 0x01;  // corrupt an option byte: options are covered too
  EXPECT_EQ(parse_error(b), WireError::BadChecksum);
}

TEST(WireIpv4, PayloadIsNotCoveredByHeaderChecksum) {
  Bytes b = kSynPacket;
  b[40] ^= 0xff;
  auto v = ConstView::checked(b);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(Ipv4Repr::parse(*v).ok());
}

TEST(WireIpv4, FragmentsAreRefused) {
  // RFC 791: MF set or a non-zero fragment offset makes this a fragment.
  EXPECT_EQ(parse_error(kFragMf), WireError::Fragmented);
  EXPECT_EQ(parse_error(kFragOffset), WireError::Fragmented);
  EXPECT_EQ(parse_error(kFragBoth), WireError::Fragmented);
  auto v = ConstView::checked(kFragOffset);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->frag_offset(), 185);
  EXPECT_FALSE(v->more_frags());
  auto w = ConstView::checked(kFragBoth);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->frag_offset(), 1);
  EXPECT_TRUE(w->more_frags());
  EXPECT_TRUE(w->dont_frag());
}

TEST(WireIpv4, LargestFragmentOffset) {
  Bytes b = kFragOffset;
  b[6] = 0x1f;
  b[7] = 0xff;
  fix_checksum(b);
  EXPECT_EQ(parse_error(b), WireError::Fragmented);
}

TEST(WireIpv4, ReservedFlagAloneIsNotAFragment) {
  Bytes b = kFragOffset;
  b[6] = 0x80;  // evil bit (RFC 3514), offset 0
  b[7] = 0x00;
  fix_checksum(b);
  auto v = ConstView::checked(b);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(Ipv4Repr::parse(*v).ok());
}

TEST(WireIpv4, OptionsSkippedWithIhl6) {
  auto v = ConstView::checked(kIhl6Packet);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->header_len(), 24u);
  ASSERT_EQ(v->payload().size(), 10u);
  EXPECT_EQ(v->payload()[0], 0x00);  // ICMP echo reply type
  EXPECT_EQ(v->payload()[9], 'y');
  auto r = Ipv4Repr::parse(*v);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->payload_len, 10);
  EXPECT_EQ(r->protocol, 1);
  EXPECT_EQ(r->ttl, 1);
  EXPECT_EQ(r->ident, 0xabcd);
  EXPECT_FALSE(r->dont_frag);
  EXPECT_EQ(r->src, Ipv4Address(172, 16, 0, 5));
  EXPECT_EQ(r->dst, Ipv4Address(172, 16, 0, 9));
}

TEST(WireIpv4, OptionsSkippedWithIhl7) {
  auto v = ConstView::checked(kIhl7Packet);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->header_len(), 28u);
  ASSERT_EQ(v->payload().size(), 8u);
  EXPECT_EQ(v->payload()[1], 0x01);  // UDP source port 1
  EXPECT_EQ(v->payload()[3], 0x02);
  auto r = Ipv4Repr::parse(*v);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->payload_len, 8);
  EXPECT_EQ(r->protocol, 17);
  EXPECT_EQ(r->ttl, 255);
  EXPECT_EQ(r->src, Ipv4Address(10, 1, 2, 3));
}

TEST(WireIpv4, ReEmitDropsOptions) {
  auto v = ConstView::checked(kIhl7Packet);
  ASSERT_TRUE(v.ok());
  auto r = Ipv4Repr::parse(*v);
  ASSERT_TRUE(r.ok());
  Bytes out(r->header_len() + r->payload_len);
  r->emit(out);
  EXPECT_EQ(out[0], 0x45);
  EXPECT_EQ(out[3], 28);
  auto v2 = ConstView::checked(out);
  ASSERT_TRUE(v2.ok());
  auto r2 = Ipv4Repr::parse(*v2);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->src, r->src);
  EXPECT_EQ(r2->dst, r->dst);
  EXPECT_EQ(r2->ident, r->ident);
  EXPECT_EQ(r2->payload_len, r->payload_len);
}

TEST(WireIpv4, SettersWithIncrementalChecksum) {
  // NAT-style rewrite: change the source and TTL, patch the checksum per RFC 1624.
  Bytes b = kSynPacket;
  auto v = Ipv4View<std::uint8_t>::checked(b);
  ASSERT_TRUE(v.ok());
  std::uint16_t c = v->checksum();
  Ipv4Address old_src = v->src(), new_src(203, 0, 113, 7);
  v->set_src(new_src);
  c = checksum_update32(c, old_src.to_u32(), new_src.to_u32());
  std::uint16_t old_word = static_cast<std::uint16_t>((v->ttl() << 8) | v->protocol());
  v->set_ttl(63);
  c = checksum_update16(c, old_word, static_cast<std::uint16_t>((63 << 8) | v->protocol()));
  v->set_dst(Ipv4Address(10, 0, 0, 2));  // unchanged value
  v->set_checksum(c);
  EXPECT_EQ(b[12], 203);
  EXPECT_EQ(b[15], 7);
  EXPECT_EQ(b[8], 63);
  auto cv = ConstView::checked(b);
  ASSERT_TRUE(cv.ok());
  auto r = Ipv4Repr::parse(*cv);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->src, new_src);
  EXPECT_EQ(r->ttl, 63);
  Bytes h(b.begin(), b.begin() + 20);
  h[10] = h[11] = 0;
  EXPECT_EQ(internet_checksum(h), c);
}

TEST(WireIpv4, UncheckedViewForEmit) {
  Bytes b(20, 0);
  auto v = Ipv4View<std::uint8_t>::unchecked(b);
  v.set_ttl(9);
  v.set_dst(Ipv4Address(1, 2, 3, 4));
  EXPECT_EQ(b[8], 9);
  EXPECT_EQ(b[16], 1);
  EXPECT_EQ(b[19], 4);
}

TEST(WireIpv4, ErrorNames) {
  EXPECT_EQ(to_string(WireError::Fragmented), "fragmented");
  EXPECT_EQ(to_string(WireError::BadChecksum), "bad checksum");
  EXPECT_EQ(to_string(WireError::Truncated), "truncated");
}

}  // namespace
}  // namespace synack::wire
