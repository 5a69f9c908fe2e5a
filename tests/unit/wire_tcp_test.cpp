// TCP header view and repr (RFC 9293 §3.1). Segments built with scapy.
#include "wire/tcp.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "wire/ipv4.hpp"

namespace synack::wire {
namespace {

using Bytes = std::vector<std::uint8_t>;
using ConstView = TcpView<const std::uint8_t>;

const Ipv4Address kSynSrc(10, 0, 0, 1), kSynDst(10, 0, 0, 2);
// SYN 40000 -> 80, seq 0x01020304, win 64240, MSS 1460, SACK-permitted,
// TS 0x11223344/0, NOP, WS 7; checksum 0x5410.
const Bytes kSyn = {0x9c, 0x40, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00,
                    0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, 0x54, 0x10, 0x00, 0x00,
                    0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x11, 0x22,
                    0x33, 0x44, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07};

const Ipv4Address kDataSrc(192, 168, 1, 10), kDataDst(93, 184, 216, 34);
// PSH|ACK 51000 -> 443, seq 0xfffffff0, ack 0x80000001, win 501, "hello";
// checksum 0x298d (odd length).
const Bytes kData = {0xc7, 0x38, 0x01, 0xbb, 0xff, 0xff, 0xff, 0xf0, 0x80, 0x00, 0x00, 0x01, 0x50,
                     0x18, 0x01, 0xf5, 0x29, 0x8d, 0x00, 0x00, 0x68, 0x65, 0x6c, 0x6c, 0x6f};

PseudoHeader pseudo(Ipv4Address s, Ipv4Address d, std::size_t len) {
  return {s, d, static_cast<std::uint8_t>(IpProtocol::Tcp), static_cast<std::uint16_t>(len)};
}

// Recomputes the checksum after a test edits the segment.
void fix_checksum(Bytes& b, Ipv4Address s, Ipv4Address d) {
  b[16] = b[17] = 0;
  std::uint32_t sum = checksum_accumulate(pseudo_header_sum(pseudo(s, d, b.size())), b);
  std::uint16_t c = static_cast<std::uint16_t>(~checksum_fold(sum));
  b[16] = std::uint8_t(c >> 8);
  b[17] = std::uint8_t(c);
}

// The error of a failed result, nullopt on success (so a test never calls
// error() on a value).
template <typename R>
std::optional<WireError> error_of(const R& r) {
  if (r.ok()) return std::nullopt;
  return r.error();
}

Result<TcpRepr, WireError> parse(const Bytes& b, Ipv4Address s, Ipv4Address d) {
  auto v = ConstView::checked(b);
  if (!v) return v.error();
  return TcpRepr::parse(*v, pseudo(s, d, b.size()));
}

TEST(WireTcp, ViewGettersOnSyn) {
  auto v = ConstView::checked(kSyn);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->src_port(), 40000);
  EXPECT_EQ(v->dst_port(), 80);
  EXPECT_EQ(v->seq(), SeqNum(0x01020304));
  EXPECT_EQ(v->ack(), SeqNum(0));
  EXPECT_EQ(v->header_len(), 40u);
  EXPECT_EQ(v->flags(), tcp_flags::kSyn);
  EXPECT_EQ(v->window(), 64240);
  EXPECT_EQ(v->checksum(), 0x5410);
  EXPECT_EQ(v->urgent(), 0);
  EXPECT_EQ(v->options().size(), 20u);
  EXPECT_EQ(v->options().data(), kSyn.data() + 20);
  EXPECT_TRUE(v->payload().empty());
}

TEST(WireTcp, ParseSynExactFields) {
  auto r = parse(kSyn, kSynSrc, kSynDst);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->src_port, 40000);
  EXPECT_EQ(r->dst_port, 80);
  EXPECT_EQ(r->seq, SeqNum(0x01020304));
  EXPECT_EQ(r->ack, SeqNum(0));
  EXPECT_EQ(r->flags, tcp_flags::kSyn);
  EXPECT_TRUE(r->has(tcp_flags::kSyn));
  EXPECT_FALSE(r->has(tcp_flags::kAck));
  EXPECT_EQ(r->window, 64240);
  EXPECT_EQ(r->urgent, 0);
  EXPECT_EQ(r->options.mss, 1460);
  EXPECT_EQ(r->options.window_scale, 7);
  EXPECT_TRUE(r->options.sack_permitted);
  ASSERT_TRUE(r->options.timestamps.has_value());
  EXPECT_EQ(r->options.timestamps->tsval, 0x11223344u);
  EXPECT_EQ(r->options.timestamps->tsecr, 0u);
  EXPECT_EQ(r->options.sack_count, 0);
  EXPECT_TRUE(r->payload.empty());
  EXPECT_EQ(r->seq_len(), 1u);  // SYN occupies one sequence number
  EXPECT_EQ(r->header_len(), 40u);
  EXPECT_EQ(r->total_len(), 40u);
}

TEST(WireTcp, EmitSynMatchesScapyByteForByte) {
  TcpRepr r;
  r.src_port = 40000;
  r.dst_port = 80;
  r.seq = SeqNum(0x01020304);
  r.flags = tcp_flags::kSyn;
  r.window = 64240;
  r.options.mss = 1460;
  r.options.sack_permitted = true;
  r.options.timestamps = TcpTimestamps{0x11223344, 0};
  r.options.window_scale = 7;
  ASSERT_EQ(r.total_len(), kSyn.size());
  Bytes out(r.total_len(), 0xaa);
  r.emit(out, kSynSrc, kSynDst);
  EXPECT_EQ(out, kSyn);
}

TEST(WireTcp, ParseDataSegmentAcrossSequenceWrap) {
  auto r = parse(kData, kDataSrc, kDataDst);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->src_port, 51000);
  EXPECT_EQ(r->dst_port, 443);
  EXPECT_EQ(r->seq, SeqNum(0xfffffff0));
  EXPECT_EQ(r->ack, SeqNum(0x80000001));
  EXPECT_EQ(r->flags, tcp_flags::kPsh | tcp_flags::kAck);
  EXPECT_EQ(r->window, 501);
  EXPECT_EQ(r->options, TcpOptions{});
  ASSERT_EQ(r->payload.size(), 5u);
  EXPECT_EQ(std::string(r->payload.begin(), r->payload.end()), "hello");
  EXPECT_EQ(r->payload.data(), kData.data() + 20);
  EXPECT_EQ(r->seq_len(), 5u);
  EXPECT_EQ((r->seq + r->seq_len()).raw(), 0xfffffff5u);
}

TEST(WireTcp, EmitDataSegmentMatchesScapy) {
  auto r = parse(kData, kDataSrc, kDataDst);
  ASSERT_TRUE(r.ok());
  Bytes out(r->total_len(), 0x55);
  r->emit(out, kDataSrc, kDataDst);
  EXPECT_EQ(out, kData);
}

TEST(WireTcp, EmitWithPayloadAlreadyInPlace) {
  Bytes buf(25, 0);
  const char* text = "hello";
  std::copy(text, text + 5, buf.begin() + 20);
  TcpRepr r;
  r.src_port = 51000;
  r.dst_port = 443;
  r.seq = SeqNum(0xfffffff0);
  r.ack = SeqNum(0x80000001);
  r.flags = tcp_flags::kPsh | tcp_flags::kAck;
  r.window = 501;
  r.payload = std::span<const std::uint8_t>(buf).subspan(20);
  r.emit(buf, kDataSrc, kDataDst);
  EXPECT_EQ(buf, kData);
}

TEST(WireTcp, EmitZeroesAckWithoutAckFlag) {
  TcpRepr r;
  r.src_port = 1;
  r.dst_port = 2;
  r.seq = SeqNum(100);
  r.ack = SeqNum(0xdeadbeef);  // stale value must not leak onto the wire
  r.flags = tcp_flags::kRst;
  Bytes out(r.total_len());
  r.emit(out, kSynSrc, kSynDst);
  EXPECT_EQ(out[8] | out[9] | out[10] | out[11], 0);
  EXPECT_EQ(out[12], 0x50);
  EXPECT_EQ(out[13], tcp_flags::kRst);
  auto back = parse(out, kSynSrc, kSynDst);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->ack, SeqNum(0));
  EXPECT_EQ(back->seq, SeqNum(100));
}

TEST(WireTcp, EmitRoundTripAllFields) {
  Bytes payload = {1, 2, 3, 4, 5, 6, 7};
  TcpRepr r;
  r.src_port = 65535;
  r.dst_port = 1;
  r.seq = SeqNum(0xffffffff);
  r.ack = SeqNum(0x7fffffff);
  r.flags = tcp_flags::kAck | tcp_flags::kFin | tcp_flags::kUrg | tcp_flags::kEce | tcp_flags::kCwr;
  r.window = 0;
  r.urgent = 0xbeef;
  r.options.timestamps = TcpTimestamps{0xffffffff, 1};
  r.options.sack_count = 2;
  r.options.sack[0] = {10, 20};
  r.options.sack[1] = {30, 40};
  r.payload = payload;
  EXPECT_EQ(r.header_len(), 20u + 12 + 20);
  Bytes out(r.total_len());
  r.emit(out, kDataSrc, kDataDst);
  auto back = parse(out, kDataSrc, kDataDst);
  ASSERT_TRUE(back.ok()) << to_string(back.error());
  EXPECT_EQ(back->src_port, r.src_port);
  EXPECT_EQ(back->dst_port, r.dst_port);
  EXPECT_EQ(back->seq, r.seq);
  EXPECT_EQ(back->ack, r.ack);
  EXPECT_EQ(back->flags, r.flags);
  EXPECT_EQ(back->window, r.window);
  EXPECT_EQ(back->urgent, r.urgent);
  EXPECT_EQ(back->options, r.options);
  EXPECT_EQ(Bytes(back->payload.begin(), back->payload.end()), payload);
  EXPECT_EQ(back->seq_len(), 8u);  // 7 bytes + FIN
}

TEST(WireTcp, SeqLenCountsSynAndFin) {
  TcpRepr r;
  EXPECT_EQ(r.seq_len(), 0u);
  r.flags = tcp_flags::kSyn | tcp_flags::kFin;
  EXPECT_EQ(r.seq_len(), 2u);
  r.flags = tcp_flags::kAck;
  EXPECT_EQ(r.seq_len(), 0u);
}

TEST(WireTcp, FlagsToString) {
  EXPECT_EQ(flags_to_string(0), "-");
  EXPECT_EQ(flags_to_string(tcp_flags::kSyn), "SYN");
  EXPECT_EQ(flags_to_string(tcp_flags::kSyn | tcp_flags::kAck), "SYN|ACK");
  EXPECT_EQ(flags_to_string(tcp_flags::kFin | tcp_flags::kAck | tcp_flags::kPsh), "FIN|PSH|ACK");
  EXPECT_EQ(flags_to_string(0xff), "SYN|FIN|RST|PSH|ACK|URG|ECE|CWR");
}

TEST(WireTcp, Truncated) {
  for (std::size_t n = 0; n < 20; ++n) {
    auto v = ConstView::checked(std::span(kData).first(n));
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error(), WireError::Truncated) << n;
  }
}

TEST(WireTcp, DataOffsetBelowFive) {
  for (std::uint8_t off = 0; off < 5; ++off) {
    Bytes b = kData;
    b[12] = static_cast<std::uint8_t>(off << 4);
    auto v = ConstView::checked(b);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error(), WireError::BadDataOffset) << int(off);
  }
}

TEST(WireTcp, DataOffsetPastSegment) {
  Bytes cut(kSyn.begin(), kSyn.end() - 1);  // header claims 40, only 39 bytes
  auto v = ConstView::checked(cut);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error(), WireError::BadDataOffset);
  Bytes b = kData;  // 25 bytes
  b[12] = 0x70;     // 28-byte header
  EXPECT_EQ(error_of(ConstView::checked(b)), WireError::BadDataOffset);
  b[12] = 0x60;  // 24 bytes fit; the low nibble (reserved) is ignored
  b[12] |= 0x0f;
  auto ok = ConstView::checked(b);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->header_len(), 24u);
  EXPECT_EQ(ok->payload().size(), 1u);
}

TEST(WireTcp, BadChecksum) {
  Bytes b = kData;
  b[24] ^= 0x20;  // "hellO"
  EXPECT_EQ(error_of(parse(b, kDataSrc, kDataDst)), WireError::BadChecksum);
  b = kData;
  b[17] ^= 0x01;
  EXPECT_EQ(error_of(parse(b, kDataSrc, kDataDst)), WireError::BadChecksum);
}

TEST(WireTcp, PseudoHeaderIsCovered) {
  // RFC 9293 §3.1: the checksum covers source/destination address, protocol and length.
  EXPECT_EQ(error_of(parse(kData, Ipv4Address(192, 168, 1, 11), kDataDst)), WireError::BadChecksum);
  EXPECT_EQ(error_of(parse(kData, kDataSrc, Ipv4Address(1, 1, 1, 1))), WireError::BadChecksum);
  auto v = ConstView::checked(kData);
  ASSERT_TRUE(v.ok());
  PseudoHeader wrong_len = pseudo(kDataSrc, kDataDst, kData.size() + 1);
  EXPECT_EQ(error_of(TcpRepr::parse(*v, wrong_len)), WireError::BadChecksum);
  PseudoHeader wrong_proto = pseudo(kDataSrc, kDataDst, kData.size());
  wrong_proto.protocol = 17;
  EXPECT_EQ(error_of(TcpRepr::parse(*v, wrong_proto)), WireError::BadChecksum);
  // Swapping source and destination keeps the sum (one's complement addition commutes).
  EXPECT_TRUE(parse(kData, kDataDst, kDataSrc).ok());
}

TEST(WireTcp, BadOptionIsReportedAfterChecksum) {
  Bytes b = kSyn;
  b[21] = 0;  // MSS option length 0
  EXPECT_EQ(error_of(parse(b, kSynSrc, kSynDst)), WireError::BadChecksum);
  fix_checksum(b, kSynSrc, kSynDst);
  EXPECT_EQ(error_of(parse(b, kSynSrc, kSynDst)), WireError::BadOption);
}

TEST(WireTcp, UnknownOptionInSegmentIsSkipped) {
  Bytes b = kSyn;
  b[20] = 30;  // kind 30 (MPTCP), length 4: the MSS bytes become its body
  fix_checksum(b, kSynSrc, kSynDst);
  auto r = parse(b, kSynSrc, kSynDst);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_FALSE(r->options.mss.has_value());
  EXPECT_EQ(r->options.window_scale, 7);
  EXPECT_TRUE(r->options.sack_permitted);
}

TEST(WireTcp, NatRewriteWithIncrementalChecksum) {
  // Rewrite source address and port as a NAT would (RFC 1624 update of the
  // pseudo-header word and the port), then the segment must verify.
  Bytes b = kData;
  auto v = TcpView<std::uint8_t>::checked(b);
  ASSERT_TRUE(v.ok());
  Ipv4Address pub(198, 51, 100, 20);
  std::uint16_t c = v->checksum();
  c = checksum_update32(c, kDataSrc.to_u32(), pub.to_u32());
  c = checksum_update16(c, v->src_port(), 3390);
  v->set_src_port(3390);
  c = checksum_update16(c, v->dst_port(), 3389);
  v->set_dst_port(3389);
  v->set_checksum(c);
  auto r = parse(b, pub, kDataDst);
  ASSERT_TRUE(r.ok()) << to_string(r.error());
  EXPECT_EQ(r->src_port, 3390);
  EXPECT_EQ(r->dst_port, 3389);
  EXPECT_EQ(std::string(r->payload.begin(), r->payload.end()), "hello");
  Bytes full = b;
  fix_checksum(full, pub, kDataDst);
  EXPECT_EQ(full[16], b[16]);
  EXPECT_EQ(full[17], b[17]);
}

TEST(WireTcp, HeaderLengthNeverExceedsSixty) {
  TcpRepr r;
  r.options.mss = 1460;
  r.options.window_scale = 14;
  r.options.sack_permitted = true;
  r.options.timestamps = TcpTimestamps{1, 2};
  r.options.sack_count = 4;
  for (int i = 0; i < 4; ++i)
    r.options.sack[i] = {std::uint32_t(i), std::uint32_t(i + 1)};
  ASSERT_LE(r.header_len(), 60u);
  Bytes out(r.total_len());
  r.emit(out, kSynSrc, kSynDst);
  EXPECT_EQ(std::size_t(out[12] >> 4) * 4, r.header_len());
  auto back = parse(out, kSynSrc, kSynDst);
  ASSERT_TRUE(back.ok()) << to_string(back.error());
  EXPECT_EQ(back->options.mss, 1460);
  EXPECT_EQ(back->options.sack_count, 2);  // 20 bytes of other options leave room for 2
}

}  // namespace
}  // namespace synack::wire
