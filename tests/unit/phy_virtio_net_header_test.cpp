// The virtio-net header TUN/TAP carry with IFF_VNET_HDR: its layout (little
// endian, 10 bytes), what our transmit side asks of the kernel, and
// finishing a partial checksum as the kernel would.
#include "phy/virtio_net_header.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "wire/ipv4.hpp"
#include "wire/tcp.hpp"

namespace synack::phy {
namespace {

TEST(VnetHeader, ParsesLittleEndianFields) {
  std::array<std::uint8_t, 10> b = {0x01, 0x01, 0x42, 0x00, 0xa8, 0x05, 0x14, 0x00, 0x10, 0x00};
  auto h = VnetHeader::parse(b);
  EXPECT_EQ(h.flags, VnetHeader::kNeedsCsum);
  EXPECT_EQ(h.gso_type, VnetHeader::kGsoTcpV4);
  EXPECT_EQ(h.hdr_len, 0x42);
  EXPECT_EQ(h.gso_size, 1448);
  EXPECT_EQ(h.csum_start, 20);
  EXPECT_EQ(h.csum_offset, 16);
  std::array<std::uint8_t, 10> back{};
  h.emit(back);
  EXPECT_EQ(back, b);
}

TEST(VnetHeader, TransmitHeaderCountsFromTheFrameStart) {
  iface::TxMeta m{20, 1448, 52};
  auto tun = VnetHeader::for_transmit(m, 0);
  EXPECT_EQ(tun.flags, VnetHeader::kNeedsCsum);
  EXPECT_EQ(tun.gso_type, VnetHeader::kGsoTcpV4);
  EXPECT_EQ(tun.csum_start, 20);
  EXPECT_EQ(tun.csum_offset, 16);
  EXPECT_EQ(tun.hdr_len, 52);
  auto tap = VnetHeader::for_transmit(m, 14);
  EXPECT_EQ(tap.csum_start, 34);
  EXPECT_EQ(tap.hdr_len, 66);
  // No offload: an all-zero header (checksum complete, one segment).
  auto plain = VnetHeader::for_transmit({}, 0);
  EXPECT_EQ(plain.flags, 0);
  EXPECT_FALSE(plain.gso());
  // Checksum offload alone: no GSO type.
  auto csum_only = VnetHeader::for_transmit({20, 0, 52}, 0);
  EXPECT_FALSE(csum_only.gso());
  EXPECT_EQ(csum_only.flags, VnetHeader::kNeedsCsum);
}

TEST(VnetHeader, WireSegmentsOfAGsoFrame) {
  VnetHeader h;
  h.gso_type = VnetHeader::kGsoTcpV4;
  h.gso_size = 1448;
  h.hdr_len = 52;
  EXPECT_EQ(h.wire_segments(52 + 45 * 1448), 45u);
  EXPECT_EQ(h.wire_segments(52 + 45 * 1448 + 1), 46u);
  h.gso_type = VnetHeader::kGsoTcpV4 | VnetHeader::kGsoEcn;
  EXPECT_EQ(h.wire_segments(52 + 2 * 1448), 2u);
  h.gso_type = VnetHeader::kGsoNone;
  EXPECT_EQ(h.wire_segments(52 + 45 * 1448), 1u);
}

TEST(VnetHeader, PartialChecksumFinishesToTheFullOne) {
  const wire::Ipv4Address src(10, 0, 0, 1), dst(10, 0, 0, 2);
  std::vector<std::uint8_t> payload(3001);
  for (std::size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<std::uint8_t>(i * 13 + 5);
  wire::TcpRepr r;
  r.src_port = 4000;
  r.dst_port = 80;
  r.seq = SeqNum(12345);
  r.ack = SeqNum(999);
  r.flags = wire::tcp_flags::kAck | wire::tcp_flags::kPsh;
  r.window = 512;
  r.options.timestamps = wire::TcpTimestamps{1, 2};
  r.payload = payload;
  std::vector<std::uint8_t> full(20 + r.total_len()), partial(20 + r.total_len());
  r.emit(std::span(full).subspan(20), src, dst);
  r.emit_partial(std::span(partial).subspan(20), src, dst);
  EXPECT_NE(full, partial);  // only the checksum field differs...
  VnetHeader h;
  h.flags = VnetHeader::kNeedsCsum;
  h.csum_start = 20;
  h.csum_offset = 16;
  ASSERT_TRUE(complete_partial_checksum(partial, h));
  EXPECT_EQ(full, partial);  // ... and the kernel's sum makes them equal
  // Offsets past the frame are refused, not written.
  h.csum_start = static_cast<std::uint16_t>(partial.size());
  EXPECT_FALSE(complete_partial_checksum(partial, h));
}

TEST(VnetHeader, TrustedParseSkipsOnlyTheChecksum) {
  const wire::Ipv4Address src(10, 0, 0, 1), dst(10, 0, 0, 2);
  wire::TcpRepr r;
  r.src_port = 1;
  r.dst_port = 2;
  r.flags = wire::tcp_flags::kSyn;
  r.options.mss = 1460;
  std::vector<std::uint8_t> b(r.total_len());
  r.emit_partial(b, src, dst);
  auto v = wire::TcpView<const std::uint8_t>::checked(b);
  ASSERT_TRUE(v.ok());
  wire::PseudoHeader ph{src, dst, 6, static_cast<std::uint16_t>(b.size())};
  EXPECT_FALSE(wire::TcpRepr::parse(*v, ph).ok());
  auto t = wire::TcpRepr::parse_trusted(*v);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->options.mss, 1460);
}

}  // namespace
}  // namespace synack::phy
