// What routers, NAT and a DHCP client need from an interface: the packet
// hook sees every packet first and may take it, queue_packet() sends whole
// packets, UDP broadcasts reach sockets bound to 0.0.0.0 (never answered
// with ICMP), an unconfigured interface takes UDP for any address, and
// set_address()/gateway change where packets come from and go to.
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "iface/interface.hpp"
#include "socket/stack.hpp"
#include "socket/udp_socket.hpp"
#include "support/mem_device.hpp"
#include "wire/arp.hpp"
#include "wire/ethernet.hpp"
#include "wire/ipv4.hpp"
#include "wire/udp.hpp"

namespace synack::iface {
namespace {

using Bytes = std::vector<std::uint8_t>;
using wire::Ipv4Address;
using wire::MacAddress;

const Ipv4Address kUs(10, 0, 0, 1);
const Ipv4Address kPeer(10, 0, 0, 2);
const Ipv4Address kFar(192, 0, 2, 9);
const Ipv4Address kGateway(10, 0, 0, 254);

using FakeDevice = test::MemDevice;

Bytes udp_packet(Ipv4Address src, Ipv4Address dst, std::uint16_t sport, std::uint16_t dport,
                 std::span<const std::uint8_t> payload) {
  wire::UdpRepr d;
  d.src_port = sport;
  d.dst_port = dport;
  d.payload = payload;
  wire::Ipv4Repr ip{src, dst,  static_cast<std::uint8_t>(wire::IpProtocol::Udp), 64,
                    1,   true, static_cast<std::uint16_t>(d.total_len())};
  Bytes p(ip.header_len() + d.total_len());
  d.emit(std::span(p).subspan(ip.header_len()), src, dst);
  ip.emit(p);
  return p;
}

const std::uint8_t kHello[] = {'h', 'e', 'l', 'l', 'o'};

class RecordingHook final : public PacketHook {
 public:
  HookVerdict on_packet(Instant, Interface&, std::span<const std::uint8_t> packet) override {
    seen.emplace_back(packet.begin(), packet.end());
    return verdict;
  }
  HookVerdict verdict = HookVerdict::Taken;
  std::vector<Bytes> seen;
};

InterfaceConfig config(wire::Ipv4Cidr addr) {
  InterfaceConfig c;
  c.address = addr;
  return c;
}

TEST(PacketHook, SeesPacketsForOthersAndTakesThem) {
  Interface ifc(config({kUs, 24}));
  RecordingHook hook;
  ifc.set_packet_hook(&hook);
  auto p = udp_packet(kPeer, kFar, 1000, 53, kHello);
  ifc.receive_packet(Instant{}, p);
  ASSERT_EQ(hook.seen.size(), 1u);
  EXPECT_EQ(hook.seen[0], p);
  EXPECT_EQ(ifc.counters().hook_taken, 1u);
  EXPECT_EQ(ifc.counters().not_for_us, 0u);
}

TEST(PacketHook, PassedPacketsAreDeliveredLocally) {
  socket::Stack stack(config({kUs, 24}));
  RecordingHook hook;
  hook.verdict = HookVerdict::Pass;
  stack.interface().set_packet_hook(&hook);
  auto sock = stack.udp_bind(53);
  ASSERT_TRUE(sock);
  FakeDevice dev(Medium::Ip);
  dev.in.push_back(udp_packet(kPeer, kUs, 1000, 53, kHello));
  dev.in.push_back(udp_packet(kPeer, kFar, 1000, 53, kHello));  // not ours: dropped
  stack.poll(Instant{}, dev);
  EXPECT_EQ(hook.seen.size(), 2u);
  auto d = sock->try_recv();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->data, Bytes(std::begin(kHello), std::end(kHello)));
  EXPECT_FALSE(sock->try_recv());
  EXPECT_EQ(stack.interface().counters().not_for_us, 1u);
}

TEST(PacketHook, MalformedHeadersNeverReachTheHook) {
  Interface ifc(config({kUs, 24}));
  RecordingHook hook;
  ifc.set_packet_hook(&hook);
  auto p = udp_packet(kPeer, kFar, 1000, 53, kHello);
  p[10] ^= 0xff;  // header checksum
  ifc.receive_packet(Instant{}, p);
  EXPECT_TRUE(hook.seen.empty());
  EXPECT_EQ(ifc.counters().malformed, 1u);
}

TEST(QueuePacket, SendsWholePacketsAsWritten) {
  Interface ifc(config({kUs, 24}));
  FakeDevice dev(Medium::Ip);
  auto p = udp_packet(kFar, kPeer, 7, 8, kHello);  // a forwarded packet: not our source
  ifc.send_packet(p);
  EXPECT_EQ(ifc.poll_at(), Instant{});
  ifc.egress(Instant{}, dev);
  ASSERT_EQ(dev.out.size(), 1u);
  EXPECT_EQ(dev.out[0], p);
  EXPECT_EQ(ifc.counters().packets_queued, 1u);
}

TEST(UdpBroadcast, ReachesSocketsWithoutIcmpErrors) {
  socket::Stack stack(config({kUs, 24}));
  auto sock = stack.udp_bind(68);
  ASSERT_TRUE(sock);
  FakeDevice dev(Medium::Ip);
  dev.in.push_back(udp_packet(kPeer, Ipv4Address::broadcast(), 67, 68, kHello));
  dev.in.push_back(udp_packet(kPeer, Ipv4Address(10, 0, 0, 255), 67, 68, kHello));
  // To a closed port: a unicast is answered with port unreachable, a
  // broadcast is not (RFC 1122 §3.2.2).
  dev.in.push_back(udp_packet(kPeer, Ipv4Address::broadcast(), 67, 69, kHello));
  dev.in.push_back(udp_packet(kPeer, kUs, 67, 69, kHello));
  stack.poll(Instant{}, dev);
  EXPECT_TRUE(sock->try_recv());
  EXPECT_TRUE(sock->try_recv());
  EXPECT_FALSE(sock->try_recv());
  EXPECT_EQ(stack.interface().counters().icmp_unreachable_sent, 1u);
  ASSERT_EQ(dev.out.size(), 1u);
  EXPECT_EQ(wire::load_be32(dev.out[0], 16), kPeer.to_u32());
}

TEST(Unconfigured, TakesUdpForAnyAddressAndSendsFromZero) {
  socket::Stack stack(config({Ipv4Address(), 32}));
  auto sock = stack.udp_bind(68);
  ASSERT_TRUE(sock);
  FakeDevice dev(Medium::Ip);
  // A DHCP offer unicast to the address on offer (RFC 2131 §4.1).
  dev.in.push_back(udp_packet(kPeer, Ipv4Address(10, 0, 0, 77), 67, 68, kHello));
  stack.poll(Instant{}, dev);
  EXPECT_TRUE(sock->try_recv());
  EXPECT_EQ(sock->send_to(Ipv4Address::broadcast(), 67, "x"), socket::SocketError::None);
  stack.poll(Instant{}, dev);
  ASSERT_EQ(dev.out.size(), 1u);
  EXPECT_EQ(wire::load_be32(dev.out[0], 12), 0u);
  EXPECT_EQ(wire::load_be32(dev.out[0], 16), 0xffffffffu);

  // Leased: the same socket now sends from the new address, and unicasts
  // to other addresses are no longer taken.
  stack.interface().set_address({Ipv4Address(10, 0, 0, 77), 24});
  EXPECT_EQ(sock->local_addr(), Ipv4Address(10, 0, 0, 77));
  EXPECT_EQ(sock->send_to(kPeer, 67, "y"), socket::SocketError::None);
  dev.in.push_back(udp_packet(kPeer, Ipv4Address(10, 0, 0, 78), 67, 68, kHello));
  stack.poll(Instant{}, dev);
  ASSERT_EQ(dev.out.size(), 2u);
  EXPECT_EQ(wire::load_be32(dev.out[1], 12), Ipv4Address(10, 0, 0, 77).to_u32());
  EXPECT_FALSE(sock->try_recv());
  EXPECT_EQ(stack.interface().counters().not_for_us, 1u);
}

// The Ethernet destination of a frame.
MacAddress eth_dst(const Bytes& f) {
  return {f[0], f[1], f[2], f[3], f[4], f[5]};
}

TEST(EthernetRoutes, OffLinkGoesToTheGatewayAndBroadcastsToAll) {
  InterfaceConfig c = config({kUs, 24});
  c.gateway = kGateway;
  Interface ifc(c);
  FakeDevice dev(Medium::Ethernet);
  ifc.send_packet(udp_packet(kUs, kFar, 1, 2, kHello));
  ifc.send_packet(udp_packet(kUs, Ipv4Address::broadcast(), 68, 67, kHello));
  ifc.send_packet(udp_packet(kUs, Ipv4Address(10, 0, 0, 255), 68, 67, kHello));
  ifc.egress(Instant{}, dev);
  // Two broadcasts sent at once, then an ARP request for the gateway (the
  // far packet is held for it).
  ASSERT_EQ(dev.out.size(), 3u);
  EXPECT_EQ(eth_dst(dev.out[0]), MacAddress::broadcast());
  EXPECT_EQ(eth_dst(dev.out[1]), MacAddress::broadcast());
  auto arp = wire::ArpView<const std::uint8_t>::checked(std::span(dev.out[2]).subspan(14));
  ASSERT_TRUE(arp);
  auto req = wire::ArpRepr::parse(*arp);
  ASSERT_TRUE(req);
  EXPECT_EQ(req->target_ip, kGateway);
}

TEST(EthernetRoutes, UnconfiguredAnswersNoArpAndKeepsItsMac) {
  InterfaceConfig c = config({Ipv4Address(), 32});
  c.tcp.isn_key0 = 0x1122334455667788ull;
  Interface ifc(c);
  MacAddress before = ifc.mac();
  EXPECT_TRUE(before.is_unicast());
  EXPECT_NE(before, MacAddress(0x02, 0, 0, 0, 0, 0));
  FakeDevice dev(Medium::Ethernet);
  // An ARP probe for 0.0.0.0's "owner" must not be answered.
  const MacAddress peer(0x52, 0x54, 0, 1, 2, 3);
  wire::ArpRepr probe{wire::ArpOperation::Request, peer, kPeer, MacAddress(), Ipv4Address()};
  Bytes f(14 + probe.packet_len());
  wire::EthernetRepr{MacAddress::broadcast(), peer, wire::EtherType::Arp}.emit(f);
  probe.emit(std::span(f).subspan(14));
  dev.in.push_back(f);
  ifc.poll(Instant{}, dev);
  EXPECT_TRUE(dev.out.empty());
  ifc.set_address({kUs, 24});
  EXPECT_EQ(ifc.mac(), before);
}

}  // namespace
}  // namespace synack::iface
