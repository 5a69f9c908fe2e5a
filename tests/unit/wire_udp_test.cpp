// UDP header view and repr (RFC 768). Checksums computed independently (a
// Python one's-complement sum over pseudo-header, header and payload).
#include "wire/udp.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wire/icmp_quote.hpp"
#include "wire/ipv4.hpp"

namespace synack::wire {
namespace {

using Bytes = std::vector<std::uint8_t>;
using ConstView = UdpView<const std::uint8_t>;

const Ipv4Address kSrc(10, 0, 0, 1), kDst(10, 0, 0, 2);
// 5353 -> 53, "hello", length 13, checksum 0x92e1.
const Bytes kHello = {0x14, 0xe9, 0x00, 0x35, 0x00, 0x0d, 0x92, 0xe1, 0x68, 0x65, 0x6c, 0x6c, 0x6f};

PseudoHeader pseudo(std::size_t len) {
  return {kSrc, kDst, static_cast<std::uint8_t>(IpProtocol::Udp), static_cast<std::uint16_t>(len)};
}

template <typename R>
std::optional<WireError> error_of(const R& r) {
  if (r.ok()) return std::nullopt;
  return r.error();
}

Result<UdpRepr, WireError> parse(const Bytes& b, Ipv4Address src = kSrc) {
  auto v = ConstView::checked(b);
  if (!v) return v.error();
  PseudoHeader ph = pseudo(b.size());
  ph.src = src;
  return UdpRepr::parse(*v, ph);
}

std::string text(std::span<const std::uint8_t> b) {
  return {b.begin(), b.end()};
}

TEST(WireUdp, ParsesPortsPayloadAndChecksum) {
  auto r = parse(kHello);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->src_port, 5353);
  EXPECT_EQ(r->dst_port, 53);
  EXPECT_EQ(text(r->payload), "hello");
}

TEST(WireUdp, EmitsExactBytes) {
  std::string hello = "hello";
  UdpRepr r;
  r.src_port = 5353;
  r.dst_port = 53;
  r.payload = std::span(reinterpret_cast<const std::uint8_t*>(hello.data()), hello.size());
  Bytes out(r.total_len());
  r.emit(out, kSrc, kDst);
  EXPECT_EQ(out, kHello);
}

TEST(WireUdp, EveryFlippedBitFailsTheChecksum) {
  for (std::size_t bit = 0; bit < kHello.size() * 8; ++bit) {
    if (bit / 8 == 4 || bit / 8 == 5) continue;  // the length field: BadLength instead
    Bytes b = kHello;
    b[bit / 8] ^= std::uint8_t(1u << (bit % 8));
    if (b[6] == 0 && b[7] == 0) continue;  // became "no checksum"
    EXPECT_EQ(error_of(parse(b)), WireError::BadChecksum) << "bit " << bit;
  }
  // A different pseudo-header (source address) fails too.
  EXPECT_EQ(error_of(parse(kHello, Ipv4Address(10, 0, 0, 9))), WireError::BadChecksum);
}

TEST(WireUdp, ZeroChecksumMeansNoneAndIsAccepted) {
  Bytes b = kHello;
  b[6] = b[7] = 0;
  b[8] = 'j';  // the payload no longer matches any checksum
  auto r = parse(b);
  ASSERT_TRUE(r);
  EXPECT_EQ(text(r->payload), "jello");
}

TEST(WireUdp, ComputedZeroIsSentAsAllOnes) {
  // Payload 0xd6b9 from 10.0.0.1:5353 to 10.0.0.2:53 sums to 0xffff.
  Bytes payload = {0xd6, 0xb9};
  UdpRepr r;
  r.src_port = 5353;
  r.dst_port = 53;
  r.payload = payload;
  Bytes out(r.total_len());
  r.emit(out, kSrc, kDst);
  EXPECT_EQ(out, (Bytes{0x14, 0xe9, 0x00, 0x35, 0x00, 0x0a, 0xff, 0xff, 0xd6, 0xb9}));
  EXPECT_TRUE(parse(out));
}

TEST(WireUdp, BadLengths) {
  EXPECT_EQ(error_of(ConstView::checked(Bytes(7, 0))), WireError::Truncated);
  Bytes b = kHello;
  b[5] = 7;  // length below the header
  EXPECT_EQ(error_of(ConstView::checked(b)), WireError::BadLength);
  b[5] = 14;  // one past the IP payload
  EXPECT_EQ(error_of(ConstView::checked(b)), WireError::BadLength);
}

TEST(WireUdp, LengthFieldDelimitsThePayload) {
  Bytes b = kHello;
  b.push_back(0);  // link padding after the datagram is not payload
  b.push_back(0);
  auto r = parse(b);
  ASSERT_TRUE(r);
  EXPECT_EQ(text(r->payload), "hello");
}

TEST(WireIcmpQuote, PortsOfTheQuotedDatagram) {
  // IPv4 header 10.0.0.2 -> 10.0.0.1, UDP, then the first 8 bytes of kHello.
  Ipv4Repr ip{kDst, kSrc, static_cast<std::uint8_t>(IpProtocol::Udp), 64, 7, true, 13};
  Bytes q(28);
  ip.emit(q);
  std::copy(kHello.begin(), kHello.begin() + 8, q.begin() + 20);
  auto r = IcmpQuote::parse(q);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->src, kDst);
  EXPECT_EQ(r->dst, kSrc);
  EXPECT_EQ(r->protocol, 17);
  EXPECT_EQ(r->src_port, 5353);
  EXPECT_EQ(r->dst_port, 53);
  EXPECT_EQ(error_of(IcmpQuote::parse(std::span(q).first(27))), WireError::Truncated);
  q[0] = 0x46;  // IHL 6: the ports would be past the quote
  EXPECT_EQ(error_of(IcmpQuote::parse(q)), WireError::Truncated);
  q[0] = 0x44;
  EXPECT_EQ(error_of(IcmpQuote::parse(q)), WireError::BadHeaderLength);
  q[0] = 0x65;
  EXPECT_EQ(error_of(IcmpQuote::parse(q)), WireError::BadVersion);
}

}  // namespace
}  // namespace synack::wire
