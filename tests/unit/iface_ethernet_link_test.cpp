// The Interface on an Ethernet device (TAP-like), driven on a virtual clock
// through a fake device: ARP replies (RFC 826), learning, IPv4 in Ethernet,
// packets held while ARP resolves, retransmitted requests, poll_at().
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "iface/interface.hpp"
#include "wire/arp.hpp"
#include "wire/ethernet.hpp"
#include "wire/icmp.hpp"
#include "wire/ipv4.hpp"

namespace synack::iface {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;
using wire::Ipv4Address;
using wire::MacAddress;

const Ipv4Address kUs(10, 0, 0, 1);
const Ipv4Address kPeer(10, 0, 0, 2);
const MacAddress kUsMac(0x02, 0x00, 0x0a, 0x00, 0x00, 0x01);  // the default for 10.0.0.1
const MacAddress kPeerMac(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);

class EthernetDevice final : public Device {
 public:
  DeviceCaps caps() const override { return {1500, Medium::Ethernet}; }
  std::optional<std::span<const std::uint8_t>> receive(Instant) override {
    if (inbox.empty()) return std::nullopt;
    current_ = std::move(inbox.front());
    inbox.pop_front();
    return current_;
  }
  void transmit(Instant, std::span<const std::uint8_t> frame) override {
    sent.emplace_back(frame.begin(), frame.end());
  }
  std::deque<Bytes> inbox;
  std::vector<Bytes> sent;

 private:
  Bytes current_;
};

Bytes frame(MacAddress dst, MacAddress src, wire::EtherType type, std::span<const std::uint8_t> p) {
  Bytes f(14 + p.size());
  wire::EthernetRepr{dst, src, type}.emit(f);
  std::copy(p.begin(), p.end(), f.begin() + 14);
  return f;
}

Bytes arp_frame(wire::ArpOperation op, MacAddress dst, Ipv4Address target_ip,
                MacAddress target_mac = {}) {
  wire::ArpRepr a{op, kPeerMac, kPeer, target_mac, target_ip};
  Bytes p(a.packet_len());
  a.emit(p);
  return frame(dst, kPeerMac, wire::EtherType::Arp, p);
}

// An ICMP echo request kPeer -> kUs in a frame to `dst`.
Bytes ping_frame(MacAddress dst, std::uint16_t seq) {
  static const std::uint8_t data[] = {'h', 'i'};
  wire::IcmpRepr icmp;
  icmp.ident = 7;
  icmp.seq_no = seq;
  icmp.data = data;
  wire::Ipv4Repr ip{kPeer, kUs, 1, 64, seq, true, static_cast<std::uint16_t>(icmp.total_len())};
  Bytes p(20 + icmp.total_len());
  ip.emit(p);
  icmp.emit(std::span(p).subspan(20));
  return frame(dst, kPeerMac, wire::EtherType::Ipv4, p);
}

struct Parsed {
  wire::EthernetRepr eth;
  std::optional<wire::ArpRepr> arp;
  std::optional<wire::Ipv4Repr> ip;
  std::optional<wire::IcmpRepr> icmp;
};

Parsed parse(const Bytes& f) {
  Parsed out;
  EXPECT_GE(f.size(), wire::EthernetRepr::kMinFrameLen);  // padded
  auto v = wire::EthernetView<const std::uint8_t>::checked(f);
  EXPECT_TRUE(v);
  if (!v) return out;
  out.eth = *wire::EthernetRepr::parse(*v);
  if (out.eth.ethertype == wire::EtherType::Arp) {
    if (auto a = wire::ArpView<const std::uint8_t>::checked(v->payload()))
      if (auto r = wire::ArpRepr::parse(*a)) out.arp = *r;
  } else if (out.eth.ethertype == wire::EtherType::Ipv4) {
    auto iv = wire::Ipv4View<const std::uint8_t>::checked(v->payload());
    if (!iv) return out;
    if (auto r = wire::Ipv4Repr::parse(*iv)) out.ip = *r;
    if (out.ip && out.ip->protocol == 1)
      if (auto r = wire::IcmpRepr::parse(iv->payload())) out.icmp = *r;
  }
  return out;
}

Instant at_start() {
  return instant_from_us(1'000'000);
}

InterfaceConfig config() {
  InterfaceConfig c;
  c.address = wire::Ipv4Cidr{kUs, 24};
  return c;
}

TEST(IfaceEthernetArp, AnswersRequestForOurAddressAndLearnsTheSender) {
  Interface ifc(config());
  EthernetDevice dev;
  EXPECT_EQ(ifc.mac(), kUsMac);
  dev.inbox.push_back(arp_frame(wire::ArpOperation::Request, MacAddress::broadcast(), kUs));
  ifc.ingress(at_start(), dev);
  EXPECT_EQ(ifc.poll_at(), at_start());  // the reply is queued
  ifc.egress(at_start(), dev);
  ASSERT_EQ(dev.sent.size(), 1u);
  Parsed p = parse(dev.sent[0]);
  EXPECT_EQ(p.eth.dst, kPeerMac);
  EXPECT_EQ(p.eth.src, kUsMac);
  ASSERT_TRUE(p.arp);
  EXPECT_EQ(p.arp->operation, wire::ArpOperation::Reply);
  EXPECT_EQ(p.arp->sender_mac, kUsMac);
  EXPECT_EQ(p.arp->sender_ip, kUs);
  EXPECT_EQ(p.arp->target_mac, kPeerMac);
  EXPECT_EQ(p.arp->target_ip, kPeer);
  ASSERT_NE(ifc.ethernet(), nullptr);
  EXPECT_EQ(ifc.ethernet()->neighbors().lookup(at_start(), kPeer), kPeerMac);
  EXPECT_EQ(ifc.ethernet()->counters().arp_replies, 1u);
  EXPECT_EQ(ifc.poll_at(), kNever);
}

TEST(IfaceEthernetArp, IgnoresRequestsForOthersAndForeignFrames) {
  Interface ifc(config());
  EthernetDevice dev;
  MacAddress other(0x52, 0x54, 0x00, 0x99, 0x99, 0x99);
  dev.inbox.push_back(
      arp_frame(wire::ArpOperation::Request, MacAddress::broadcast(), Ipv4Address(10, 0, 0, 9)));
  dev.inbox.push_back(ping_frame(other, 1));                                  // another MAC
  dev.inbox.push_back(ping_frame(MacAddress(0x01, 0x00, 0x5e, 0, 0, 1), 2));  // multicast
  dev.inbox.push_back(frame(kUsMac, kPeerMac, wire::EtherType::Ipv6, Bytes(40)));
  dev.inbox.push_back(Bytes(10, 0xff));  // runt
  ifc.poll(at_start(), dev);
  EXPECT_TRUE(dev.sent.empty());
  const EthernetCounters& c = ifc.ethernet()->counters();
  EXPECT_EQ(c.not_for_us, 2u);
  EXPECT_EQ(c.ignored, 1u);
  EXPECT_EQ(c.malformed, 1u);
  EXPECT_EQ(c.arp_in, 1u);
  EXPECT_EQ(ifc.ethernet()->neighbors().size(), 0u);
  EXPECT_EQ(ifc.counters().frames_in, 5u);
}

TEST(IfaceEthernetArp, PingFromAKnownNeighborIsAnsweredAtOnce) {
  Interface ifc(config());
  EthernetDevice dev;
  dev.inbox.push_back(arp_frame(wire::ArpOperation::Request, MacAddress::broadcast(), kUs));
  dev.inbox.push_back(ping_frame(kUsMac, 1));
  ifc.poll(at_start(), dev);
  ASSERT_EQ(dev.sent.size(), 2u);  // ARP reply, echo reply
  Parsed p = parse(dev.sent[1]);
  EXPECT_EQ(p.eth.dst, kPeerMac);
  ASSERT_TRUE(p.icmp);
  EXPECT_EQ(p.icmp->type, wire::IcmpType::EchoReply);
  EXPECT_EQ(ifc.counters().frames_out, 2u);
}

TEST(IfaceEthernetArp, ReplyIsHeldUntilArpResolvesThePeer) {
  Interface ifc(config());
  EthernetDevice dev;
  Instant t0 = at_start();
  dev.inbox.push_back(ping_frame(kUsMac, 1));
  ifc.poll(t0, dev);
  ASSERT_EQ(dev.sent.size(), 1u);
  Parsed req = parse(dev.sent[0]);
  EXPECT_TRUE(req.eth.dst.is_broadcast());
  ASSERT_TRUE(req.arp);
  EXPECT_EQ(req.arp->operation, wire::ArpOperation::Request);
  EXPECT_EQ(req.arp->target_ip, kPeer);
  EXPECT_TRUE(req.arp->target_mac.is_zero());
  EXPECT_EQ(ifc.ethernet()->neighbors().held(kPeer), 1u);
  EXPECT_EQ(ifc.poll_at(), t0 + 1s);  // the retransmission

  ifc.poll(t0 + 1s, dev);
  ASSERT_EQ(dev.sent.size(), 2u);
  EXPECT_TRUE(parse(dev.sent[1]).arp);

  // The answer releases the echo reply.
  dev.inbox.push_back(arp_frame(wire::ArpOperation::Reply, kUsMac, kUs, kUsMac));
  ifc.ingress(t0 + 1500ms, dev);
  EXPECT_EQ(ifc.poll_at(), t0 + 1500ms);
  ifc.egress(t0 + 1500ms, dev);
  ASSERT_EQ(dev.sent.size(), 3u);
  Parsed p = parse(dev.sent[2]);
  EXPECT_EQ(p.eth.dst, kPeerMac);
  ASSERT_TRUE(p.icmp);
  EXPECT_EQ(p.icmp->type, wire::IcmpType::EchoReply);
  EXPECT_EQ(ifc.poll_at(), kNever);
  EXPECT_EQ(ifc.ethernet()->neighbors().counters().resolved, 1u);
}

TEST(IfaceEthernetArp, UnansweredRequestsDropTheHeldPackets) {
  Interface ifc(config());
  EthernetDevice dev;
  Instant t0 = at_start();
  dev.inbox.push_back(ping_frame(kUsMac, 1));
  ifc.poll(t0, dev);
  for (int s = 1; s <= 3; ++s)
    ifc.poll(t0 + std::chrono::seconds(s), dev);
  EXPECT_EQ(dev.sent.size(), 3u);  // three requests, no echo reply
  EXPECT_EQ(ifc.ethernet()->counters().arp_requests, 3u);
  EXPECT_EQ(ifc.ethernet()->neighbors().counters().unresolved_drops, 1u);
  EXPECT_EQ(ifc.poll_at(), kNever);
}

TEST(IfaceEthernetArp, TcpConnectResolvesThePeerFirst) {
  InterfaceConfig cfg = config();
  cfg.mac = MacAddress(0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee);
  Interface ifc(cfg);
  EthernetDevice dev;
  Instant t0 = at_start();
  ifc.set_time(t0);
  ASSERT_TRUE(ifc.tcp().connect(t0, kUs, kPeer, 80, ifc.tcp().config()));
  ifc.poll(t0, dev);
  ASSERT_EQ(dev.sent.size(), 1u);
  Parsed req = parse(dev.sent[0]);
  ASSERT_TRUE(req.arp);
  EXPECT_EQ(req.eth.src, *cfg.mac);
  EXPECT_EQ(req.arp->sender_mac, *cfg.mac);
  dev.inbox.push_back(arp_frame(wire::ArpOperation::Reply, *cfg.mac, kUs, *cfg.mac));
  ifc.poll(t0 + 1ms, dev);
  ASSERT_EQ(dev.sent.size(), 2u);
  Parsed syn = parse(dev.sent[1]);
  EXPECT_EQ(syn.eth.dst, kPeerMac);
  ASSERT_TRUE(syn.ip);
  EXPECT_EQ(syn.ip->protocol, 6);
  EXPECT_EQ(syn.ip->dst, kPeer);
}

// RFC 1112 §6.4: a datagram to an IPv4 group goes to the group's MAC
// (01:00:5e and the low 23 bits) at once, without ARP (NAT-PMP's
// announcements to 224.0.0.1 on a TAP link).
TEST(IfaceEthernetArp, MulticastGoesToTheGroupMacWithoutArp) {
  Interface ifc(config());
  EthernetDevice dev;
  Instant t0 = at_start();
  ifc.set_time(t0);
  auto e = ifc.udp().bind(kUs, 5351);
  ASSERT_TRUE(e);
  const std::uint8_t data[] = {0, 128};
  EXPECT_EQ(ifc.udp().send(**e, Ipv4Address(224, 0, 0, 1), 5350, data), udp::UdpError::None);
  EXPECT_EQ(ifc.udp().send(**e, Ipv4Address(239, 129, 2, 3), 5350, data), udp::UdpError::None);
  ifc.poll(t0, dev);
  ASSERT_EQ(dev.sent.size(), 2u);
  Parsed a = parse(dev.sent[0]);
  EXPECT_EQ(a.eth.dst, MacAddress(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01));
  ASSERT_TRUE(a.ip);
  EXPECT_EQ(a.ip->dst, Ipv4Address(224, 0, 0, 1));
  EXPECT_EQ(parse(dev.sent[1]).eth.dst, MacAddress(0x01, 0x00, 0x5e, 0x01, 0x02, 0x03));
  EXPECT_EQ(ifc.ethernet()->counters().arp_requests, 0u);
}

}  // namespace
}  // namespace synack::iface
