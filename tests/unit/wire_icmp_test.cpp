// ICMPv4 (RFC 792): echo request/reply and destination unreachable. Messages
// built with scapy.
#include "wire/icmp.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "wire/checksum.hpp"

namespace synack::wire {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Echo request id 0xbeef seq 3, data "abcdefgh"; checksum 0xa777.
const Bytes kEchoRequest = {0x08, 0x00, 0xa7, 0x77, 0xbe, 0xef, 0x00, 0x03,
                            0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68};
// Echo reply id 1 seq 2, data "xy"; checksum 0x8783.
const Bytes kEchoReply = {0x00, 0x00, 0x87, 0x83, 0x00, 0x01, 0x00, 0x02, 0x78, 0x79};
// Port unreachable quoting a UDP 5353 -> 9999 datagram (IP header + 8 bytes).
const Bytes kPortUnreach = {0x03, 0x03, 0xce, 0x71, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x24,
                            0x00, 0x09, 0x00, 0x00, 0x40, 0x11, 0x66, 0xbe, 0x0a, 0x00, 0x00, 0x02,
                            0x0a, 0x00, 0x00, 0x01, 0x14, 0xe9, 0x27, 0x0f, 0x00, 0x10, 0xf2, 0x82};

std::optional<WireError> error_of(const Bytes& b) {
  auto r = IcmpRepr::parse(b);
  if (r.ok()) return std::nullopt;
  return r.error();
}

void fix_checksum(Bytes& b) {
  b[2] = b[3] = 0;
  std::uint16_t c = internet_checksum(b);
  b[2] = std::uint8_t(c >> 8);
  b[3] = std::uint8_t(c);
}

Bytes emit(const IcmpRepr& r) {
  Bytes out(r.total_len(), 0x5a);
  r.emit(out);
  return out;
}

TEST(WireIcmp, ParseEchoRequest) {
  auto r = IcmpRepr::parse(kEchoRequest);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->type, IcmpType::EchoRequest);
  EXPECT_EQ(r->code, 0);
  EXPECT_EQ(r->ident, 0xbeef);
  EXPECT_EQ(r->seq_no, 3);
  EXPECT_EQ(std::string(r->data.begin(), r->data.end()), "abcdefgh");
  EXPECT_EQ(r->data.data(), kEchoRequest.data() + 8);
  EXPECT_EQ(r->total_len(), 16u);
}

TEST(WireIcmp, ParseEchoReplyWithOddLengthData) {
  auto r = IcmpRepr::parse(kEchoReply);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->type, IcmpType::EchoReply);
  EXPECT_EQ(r->ident, 1);
  EXPECT_EQ(r->seq_no, 2);
  EXPECT_EQ(r->data.size(), 2u);
}

TEST(WireIcmp, ParsePortUnreachable) {
  auto r = IcmpRepr::parse(kPortUnreach);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->type, IcmpType::DestUnreachable);
  EXPECT_EQ(r->code, icmp_unreach::kPort);
  EXPECT_EQ(r->ident, 0);
  EXPECT_EQ(r->seq_no, 0);
  ASSERT_EQ(r->data.size(), 28u);  // RFC 792: internet header + 64 bits of data
  EXPECT_EQ(r->data[0], 0x45);
  EXPECT_EQ(r->data[9], 17);
}

TEST(WireIcmp, EmitEchoRequestMatchesScapy) {
  IcmpRepr r;
  r.type = IcmpType::EchoRequest;
  r.ident = 0xbeef;
  r.seq_no = 3;
  Bytes data = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'};
  r.data = data;
  EXPECT_EQ(emit(r), kEchoRequest);
}

TEST(WireIcmp, EmitEchoReplyFromRequest) {
  // Answering a ping: same ident, seq and data, type 0 (RFC 792 "Echo Reply").
  auto req = IcmpRepr::parse(kEchoRequest);
  ASSERT_TRUE(req.ok());
  IcmpRepr rep = *req;
  rep.type = IcmpType::EchoReply;
  Bytes out = emit(rep);
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(internet_checksum(out), 0);
  EXPECT_EQ(Bytes(out.begin() + 4, out.end()), Bytes(kEchoRequest.begin() + 4, kEchoRequest.end()));
  // Only the type byte changed: checksum moves by 0x0800 (RFC 1624).
  EXPECT_EQ((out[2] << 8) | out[3], checksum_update16(0xa777, 0x0800, 0x0000));
}

TEST(WireIcmp, EmitPortUnreachableMatchesScapy) {
  IcmpRepr r;
  r.type = IcmpType::DestUnreachable;
  r.code = icmp_unreach::kPort;
  r.ident = 0x1234;  // ignored for unreachable: the unused word is zero
  r.seq_no = 0x5678;
  r.data = std::span(kPortUnreach).subspan(8);
  EXPECT_EQ(emit(r), kPortUnreach);
}

TEST(WireIcmp, EmitWithDataAlreadyInPlace) {
  Bytes buf = kEchoRequest;
  buf[0] = buf[2] = buf[3] = buf[4] = 0;
  IcmpRepr r;
  r.ident = 0xbeef;
  r.seq_no = 3;
  r.data = std::span<const std::uint8_t>(buf).subspan(8);
  r.emit(buf);
  EXPECT_EQ(buf, kEchoRequest);
}

TEST(WireIcmp, HeaderOnlyEcho) {
  IcmpRepr r;
  r.type = IcmpType::EchoRequest;
  r.ident = 7;
  r.seq_no = 0xffff;
  Bytes out = emit(r);
  ASSERT_EQ(out.size(), 8u);
  auto back = IcmpRepr::parse(out);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->seq_no, 0xffff);
  EXPECT_TRUE(back->data.empty());
}

TEST(WireIcmp, Truncated) {
  for (std::size_t n = 0; n < 8; ++n)
    EXPECT_EQ(error_of(Bytes(kEchoRequest.begin(), kEchoRequest.begin() + n)), WireError::Truncated)
        << n;
}

TEST(WireIcmp, BadChecksum) {
  Bytes b = kEchoRequest;
  b[15] ^= 0x01;  // data is covered
  EXPECT_EQ(error_of(b), WireError::BadChecksum);
  b = kEchoRequest;
  b[3] ^= 0x80;
  EXPECT_EQ(error_of(b), WireError::BadChecksum);
  // Trimming the data changes the sum too.
  EXPECT_EQ(error_of(Bytes(kEchoRequest.begin(), kEchoRequest.end() - 2)), WireError::BadChecksum);
}

TEST(WireIcmp, OtherTypesAreUnsupported) {
  for (std::uint8_t type : {4, 5, 11, 12, 13, 14, 255}) {
    Bytes b = kEchoRequest;
    b[0] = type;
    fix_checksum(b);
    EXPECT_EQ(error_of(b), WireError::Unsupported) << int(type);
  }
}

TEST(WireIcmp, ChecksumIsCheckedBeforeType) {
  Bytes b = kEchoRequest;
  b[0] = 11;  // time exceeded, checksum not fixed
  EXPECT_EQ(error_of(b), WireError::BadChecksum);
}

TEST(WireIcmp, AnyCodeIsKept) {
  for (std::uint8_t code : {0, 1, 2, 3, 4, 13, 255}) {
    Bytes b = kPortUnreach;
    b[1] = code;
    fix_checksum(b);
    auto r = IcmpRepr::parse(b);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->code, code);
  }
}

TEST(WireIcmp, UnreachableUnusedWordIsNotParsed) {
  Bytes b = kPortUnreach;
  b[6] = 0x05;  // RFC 1191 next-hop MTU field in "fragmentation needed"
  b[7] = 0xdc;
  fix_checksum(b);
  auto r = IcmpRepr::parse(b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ident, 0);
  EXPECT_EQ(r->seq_no, 0);
}

TEST(WireIcmp, RoundTripEcho) {
  for (std::size_t len : {0u, 1u, 7u, 56u, 1472u}) {
    Bytes data(len);
    for (std::size_t i = 0; i < len; ++i)
      data[i] = static_cast<std::uint8_t>(i * 31 + 7);
    IcmpRepr r;
    r.type = len % 2 ? IcmpType::EchoReply : IcmpType::EchoRequest;
    r.code = static_cast<std::uint8_t>(len);
    r.ident = static_cast<std::uint16_t>(0x8000 + len);
    r.seq_no = static_cast<std::uint16_t>(len * 3);
    r.data = data;
    Bytes out = emit(r);
    auto back = IcmpRepr::parse(out);
    ASSERT_TRUE(back.ok()) << len;
    EXPECT_EQ(back->type, r.type);
    EXPECT_EQ(back->code, r.code);
    EXPECT_EQ(back->ident, r.ident);
    EXPECT_EQ(back->seq_no, r.seq_no);
    EXPECT_EQ(Bytes(back->data.begin(), back->data.end()), data);
  }
}

}  // namespace
}  // namespace synack::wire
