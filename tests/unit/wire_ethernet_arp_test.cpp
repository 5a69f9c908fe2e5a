// Ethernet II (RFC 894) and ARP (RFC 826): MAC addresses, views and reprs.
// Frames built with scapy.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "wire/arp.hpp"
#include "wire/ethernet.hpp"
#include "wire/ipv4.hpp"

namespace synack::wire {
namespace {

using Bytes = std::vector<std::uint8_t>;

const MacAddress kPeer(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
const MacAddress kUs(0x02, 0x00, 0x0a, 0x00, 0x00, 0x01);

// Broadcast "who-has 10.0.0.1 tell 10.0.0.2" from 52:54:00:12:34:56, padded
// to the 60-byte minimum.
const Bytes kArpRequest = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
                           0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x54,
                           0x00, 0x12, 0x34, 0x56, 0x0a, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
                           0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                           0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
// Its answer: "10.0.0.1 is-at 02:00:0a:00:00:01", unpadded.
const Bytes kArpReply = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x02, 0x00, 0x0a, 0x00, 0x00,
                         0x01, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
                         0x02, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x01, 0x52,
                         0x54, 0x00, 0x12, 0x34, 0x56, 0x0a, 0x00, 0x00, 0x02};
// An ICMP echo request 10.0.0.2 -> 10.0.0.1 ("hi") in an Ethernet frame.
const Bytes kIpv4Frame = {0x02, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34,
                          0x56, 0x08, 0x00, 0x45, 0x00, 0x00, 0x1e, 0x00, 0x07, 0x00, 0x00,
                          0x40, 0x01, 0x66, 0xd6, 0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00,
                          0x01, 0x08, 0x00, 0xd0, 0xa5, 0xbe, 0xef, 0x00, 0x01, 0x68, 0x69};
// An IEEE 802.3 frame (length 0x26, LLC + STP): not Ethernet II.
const Bytes kDot3Header = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00, 0x52,
                           0x54, 0x00, 0x12, 0x34, 0x56, 0x00, 0x26};
// RARP request (operation 3) and ARP for IPv6 (ptype 0x86dd, plen 16): ARP
// packets synack does not speak.
const Bytes kRarp = {0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x03, 0x52, 0x54,
                     0x00, 0x12, 0x34, 0x56, 0x00, 0x00, 0x00, 0x00, 0x52, 0x54,
                     0x00, 0x12, 0x34, 0x56, 0x00, 0x00, 0x00, 0x00};
const Bytes kArpIpv6 = {0x00, 0x01, 0x86, 0xdd, 0x06, 0x10, 0x00, 0x01, 0x52, 0x54, 0x00,
                        0x12, 0x34, 0x56, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
                        0x00, 0x00, 0x00, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02};

std::span<const std::uint8_t> arp_part(const Bytes& frame) {
  return std::span(frame).subspan(14);
}

std::optional<WireError> arp_error(std::span<const std::uint8_t> b) {
  auto v = ArpView<const std::uint8_t>::checked(b);
  if (!v) return v.error();
  auto r = ArpRepr::parse(*v);
  if (r) return std::nullopt;
  return r.error();
}

TEST(WireEthernet, MacAddressParseAndFormat) {
  auto m = MacAddress::parse("52:54:00:12:34:56");
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, kPeer);
  EXPECT_EQ(m->to_string(), "52:54:00:12:34:56");
  EXPECT_EQ(MacAddress::parse("02-00-0A-00-00-01"), kUs);
  EXPECT_EQ(kUs.to_string(), "02:00:0a:00:00:01");
  for (const char* bad : {"", "52:54:00:12:34", "52:54:00:12:34:56:78", "52:54:00:12:34:5g",
                          "52:54-00:12:34:56", "5:54:00:12:34:567", "52 54 00 12 34 56"})
    EXPECT_FALSE(MacAddress::parse(bad)) << bad;
}

TEST(WireEthernet, MacAddressKinds) {
  EXPECT_TRUE(MacAddress::broadcast().is_broadcast());
  EXPECT_TRUE(MacAddress::broadcast().is_multicast());
  EXPECT_FALSE(MacAddress::broadcast().is_unicast());
  EXPECT_TRUE(MacAddress(0x01, 0x00, 0x5e, 0, 0, 1).is_multicast());
  EXPECT_TRUE(MacAddress().is_zero());
  EXPECT_FALSE(MacAddress().is_unicast());
  EXPECT_TRUE(kPeer.is_unicast());
  EXPECT_TRUE(kPeer.is_local());  // QEMU's 52:54:00 prefix is locally administered
  EXPECT_TRUE(kUs.is_local());
  EXPECT_FALSE(MacAddress(0x00, 0x1b, 0x21, 0x01, 0x02, 0x03).is_local());
  EXPECT_LT(kUs, kPeer);
}

TEST(WireEthernet, ParseIpv4Frame) {
  auto v = EthernetView<const std::uint8_t>::checked(kIpv4Frame);
  ASSERT_TRUE(v);
  auto r = EthernetRepr::parse(*v);
  ASSERT_TRUE(r) << to_string(r.error());
  EXPECT_EQ(r->dst, kUs);
  EXPECT_EQ(r->src, kPeer);
  EXPECT_EQ(r->ethertype, EtherType::Ipv4);
  EXPECT_EQ(v->payload().size(), kIpv4Frame.size() - 14);
  auto ip = Ipv4View<const std::uint8_t>::checked(v->payload());
  ASSERT_TRUE(ip);
  auto ipr = Ipv4Repr::parse(*ip);
  ASSERT_TRUE(ipr);
  EXPECT_EQ(ipr->src, Ipv4Address(10, 0, 0, 2));
  EXPECT_EQ(ipr->protocol, 1);
}

TEST(WireEthernet, EmitMatchesScapy) {
  EthernetRepr r{kPeer, kUs, EtherType::Arp};
  Bytes out(14, 0xee);
  r.emit(out);
  EXPECT_EQ(out, Bytes(kArpReply.begin(), kArpReply.begin() + 14));
  // Setters on a mutable view.
  Bytes frame = kIpv4Frame;
  auto v = EthernetView<std::uint8_t>::checked(frame);
  ASSERT_TRUE(v);
  v->set_dst(MacAddress::broadcast());
  v->set_src(kUs);
  v->set_ethertype(0x86dd);
  EXPECT_TRUE(v->dst().is_broadcast());
  EXPECT_EQ(v->src(), kUs);
  EXPECT_EQ(v->ethertype(), 0x86dd);
}

TEST(WireEthernet, MalformedAndUnsupportedFrames) {
  for (std::size_t n = 0; n < 14; ++n) {
    auto v = EthernetView<const std::uint8_t>::checked(std::span(kIpv4Frame).first(n));
    ASSERT_FALSE(v) << n;
    EXPECT_EQ(v.error(), WireError::Truncated);
  }
  // A bare header is a valid (empty) frame.
  auto bare = EthernetView<const std::uint8_t>::checked(std::span(kIpv4Frame).first(14));
  ASSERT_TRUE(bare);
  EXPECT_TRUE(bare->payload().empty());
  auto dot3 = EthernetView<const std::uint8_t>::checked(kDot3Header);
  ASSERT_TRUE(dot3);
  auto r = EthernetRepr::parse(*dot3);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), WireError::Unsupported);
}

TEST(WireArp, ParseRequestIgnoringPadding) {
  auto v = ArpView<const std::uint8_t>::checked(arp_part(kArpRequest));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->hardware_type(), 1);
  EXPECT_EQ(v->protocol_type(), 0x0800);
  EXPECT_EQ(v->packet_len(), 28u);
  EXPECT_EQ(v->bytes().size(), 46u);  // 18 bytes of padding follow
  auto r = ArpRepr::parse(*v);
  ASSERT_TRUE(r) << to_string(r.error());
  EXPECT_EQ(r->operation, ArpOperation::Request);
  EXPECT_EQ(r->sender_mac, kPeer);
  EXPECT_EQ(r->sender_ip, Ipv4Address(10, 0, 0, 2));
  EXPECT_TRUE(r->target_mac.is_zero());
  EXPECT_EQ(r->target_ip, Ipv4Address(10, 0, 0, 1));
}

TEST(WireArp, EmitReplyMatchesScapy) {
  ArpRepr reply{ArpOperation::Reply, kUs, Ipv4Address(10, 0, 0, 1), kPeer,
                Ipv4Address(10, 0, 0, 2)};
  Bytes out(14 + reply.packet_len(), 0xee);
  EthernetRepr{kPeer, kUs, EtherType::Arp}.emit(out);
  reply.emit(std::span(out).subspan(14));
  EXPECT_EQ(out, kArpReply);
  auto v = ArpView<const std::uint8_t>::checked(arp_part(kArpReply));
  ASSERT_TRUE(v);
  auto back = ArpRepr::parse(*v);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->operation, ArpOperation::Reply);
  EXPECT_EQ(back->target_mac, kPeer);
  EXPECT_EQ(back->target_ip, Ipv4Address(10, 0, 0, 2));
}

TEST(WireArp, SetOperationOnMutableView) {
  Bytes b(kArpReply.begin() + 14, kArpReply.end());
  auto v = ArpView<std::uint8_t>::checked(b);
  ASSERT_TRUE(v);
  v->set_operation(ArpOperation::Request);
  EXPECT_EQ(v->operation(), 1);
}

TEST(WireArp, TruncatedPackets) {
  auto full = arp_part(kArpReply);
  for (std::size_t n = 0; n < 28; ++n)
    EXPECT_EQ(arp_error(full.first(n)), WireError::Truncated) << n;
  // The addresses are sized by hlen/plen: plen 16 needs 52 bytes.
  EXPECT_EQ(arp_error(std::span(kArpIpv6).first(51)), WireError::Truncated);
}

TEST(WireArp, UnsupportedKinds) {
  EXPECT_EQ(arp_error(kRarp), WireError::Unsupported);     // operation 3
  EXPECT_EQ(arp_error(kArpIpv6), WireError::Unsupported);  // ptype 0x86dd, plen 16
  // Each fixed field in turn: htype 6 (IEEE 802), ptype, hlen, plen, op 0.
  for (auto [at, value] : {std::pair{1, 6}, {2, 0x86}, {4, 8}, {5, 16}, {7, 0}}) {
    Bytes b(kArpReply.begin() + 14, kArpReply.end());
    b.resize(64, 0);  // room for larger addresses
    b[static_cast<std::size_t>(at)] = static_cast<std::uint8_t>(value);
    EXPECT_EQ(arp_error(b), WireError::Unsupported) << at;
  }
}

}  // namespace
}  // namespace synack::wire
