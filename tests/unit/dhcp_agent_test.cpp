// DhcpAgent on a Stack over an in-memory IP device: the DISCOVER leaves from
// 0.0.0.0:68 to 255.255.255.255:67, the server's OFFER and ACK configure the
// interface (address, gateway), a NAK unconfigures it, and the callback sees
// every event after the interface changed.
#include "apps/dhcp_client/dhcp_agent.hpp"
#include "support/mem_device.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <vector>

#include "wire/arp.hpp"
#include "wire/ipv4.hpp"
#include "wire/udp.hpp"

namespace synack::apps::dhcp {
namespace {

using namespace std::chrono_literals;
namespace sd = synack::dhcp;
using wire::Ipv4Address;

const Ipv4Address kServer(10, 9, 0, 1);
const wire::MacAddress kMac(2, 0, 0, 0, 0, 0x42);

using test::MemDevice;

struct Sent {
  wire::Ipv4Repr ip;
  wire::UdpRepr udp;
  sd::DhcpRepr dhcp;
};

Sent parse_sent(const std::vector<std::uint8_t>& pkt) {
  Sent s;
  auto iv = wire::Ipv4View<const std::uint8_t>::checked(pkt);
  EXPECT_TRUE(iv.ok());
  s.ip = *wire::Ipv4Repr::parse(*iv);
  auto uv = wire::UdpView<const std::uint8_t>::checked(iv->payload());
  EXPECT_TRUE(uv.ok());
  s.udp = *wire::UdpRepr::parse(*uv, {s.ip.src, s.ip.dst, 17, 0});
  auto dv = sd::DhcpView<const std::uint8_t>::checked(s.udp.payload);
  EXPECT_TRUE(dv.ok());
  s.dhcp = *sd::DhcpRepr::parse(*dv);
  return s;
}

std::vector<std::uint8_t> server_packet(const sd::DhcpRepr& reply) {
  std::vector<std::uint8_t> dhcp(reply.buffer_len());
  reply.emit(dhcp);
  wire::UdpRepr u{67, 68, dhcp};
  wire::Ipv4Repr ip;
  ip.src = kServer;
  ip.dst = Ipv4Address::broadcast();
  ip.protocol = 17;
  ip.payload_len = static_cast<std::uint16_t>(u.total_len());
  std::vector<std::uint8_t> pkt(20 + u.total_len());
  ip.emit(pkt);
  u.emit(std::span(pkt).subspan(20), ip.src, ip.dst);
  return pkt;
}

sd::DhcpRepr reply_to(const sd::DhcpRepr& req, sd::DhcpMessageType t, Ipv4Address yiaddr) {
  sd::DhcpRepr r;
  r.op = sd::DhcpOp::Reply;
  r.message_type = t;
  r.xid = req.xid;
  r.chaddr = req.chaddr;
  r.yiaddr = yiaddr;
  r.server_id = kServer;
  if (t != sd::DhcpMessageType::Nak) {
    r.lease_time = 120;
    r.subnet_mask = Ipv4Address(255, 255, 255, 0);
    r.routers.push(kServer);
    r.dns_servers.push(kServer);
  }
  return r;
}

TEST(DhcpAgent, LeasesConfiguresAndDropsOnNak) {
  iface::InterfaceConfig ic;
  ic.address = wire::Ipv4Cidr{Ipv4Address(), 32};
  ic.mac = kMac;
  socket::Stack stack(ic);
  MemDevice dev;
  std::vector<std::string> log;
  std::vector<std::string> addr_in_callback;
  DhcpAgentConfig cfg;
  cfg.client.seed = 5;
  auto agent = DhcpAgent::start(stack, cfg, [&](const sd::DhcpEvent& e, const DhcpAgent& a) {
    log.push_back(sd::describe(e));
    addr_in_callback.push_back(stack.interface().address().to_string());
    EXPECT_EQ(a.address().has_value(), !stack.interface().address().is_unspecified());
  });
  ASSERT_TRUE(agent.ok());
  Instant now{};
  stack.poll(now, dev);
  ASSERT_EQ(dev.out.size(), 1u);
  Sent d = parse_sent(dev.out[0]);
  EXPECT_EQ(d.ip.src, Ipv4Address());
  EXPECT_EQ(d.ip.dst, Ipv4Address::broadcast());
  EXPECT_EQ(d.udp.src_port, 68);
  EXPECT_EQ(d.udp.dst_port, 67);
  EXPECT_EQ(d.dhcp.message_type, sd::DhcpMessageType::Discover);
  EXPECT_EQ(d.dhcp.chaddr, kMac);  // the interface's MAC by default

  now += 100ms;
  dev.in.push_back(
      server_packet(reply_to(d.dhcp, sd::DhcpMessageType::Offer, Ipv4Address(10, 9, 0, 50))));
  stack.poll(now, dev);
  ASSERT_EQ(dev.out.size(), 2u);
  Sent r = parse_sent(dev.out[1]);
  EXPECT_EQ(r.dhcp.message_type, sd::DhcpMessageType::Request);
  dev.in.push_back(
      server_packet(reply_to(r.dhcp, sd::DhcpMessageType::Ack, Ipv4Address(10, 9, 0, 50))));
  stack.poll(now, dev);
  EXPECT_EQ(stack.interface().address(), Ipv4Address(10, 9, 0, 50));
  EXPECT_EQ(stack.interface().config().address.prefix_len, 24);
  EXPECT_EQ(stack.interface().config().gateway, kServer);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0], "leased 10.9.0.50/24 router 10.9.0.1 dns 10.9.0.1 lease 120s");
  EXPECT_EQ(addr_in_callback[0], "10.9.0.50");
  // The stack wakes for T1 (60 s after the REQUEST).
  EXPECT_EQ(stack.poll_at(), now + 60s);

  // T1: the renewal goes unicast from the leased address.
  now += 60s;
  stack.poll(now, dev);
  ASSERT_EQ(dev.out.size(), 3u);
  Sent renew = parse_sent(dev.out[2]);
  EXPECT_EQ(renew.ip.src, Ipv4Address(10, 9, 0, 50));
  EXPECT_EQ(renew.ip.dst, kServer);
  EXPECT_EQ(renew.dhcp.ciaddr, Ipv4Address(10, 9, 0, 50));
  dev.in.push_back(server_packet(reply_to(renew.dhcp, sd::DhcpMessageType::Nak, {})));
  stack.poll(now, dev);
  EXPECT_TRUE(stack.interface().address().is_unspecified());
  EXPECT_EQ(stack.interface().config().gateway, std::nullopt);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1], "nak from 10.9.0.1: dropped 10.9.0.50/24");
  EXPECT_EQ(addr_in_callback[1], "0.0.0.0");
  // A new DISCOVER, from 0.0.0.0 again.
  ASSERT_EQ(dev.out.size(), 4u);
  Sent again = parse_sent(dev.out[3]);
  EXPECT_EQ(again.dhcp.message_type, sd::DhcpMessageType::Discover);
  EXPECT_EQ(again.ip.src, Ipv4Address());
}

// A link flap: reboot() confirms the lease held with INIT-REBOOT's
// broadcast REQUEST from 0.0.0.0, keeping the address meanwhile; then the
// address is found in use: DECLINE, unconfigured, DISCOVER 10 s later.
TEST(DhcpAgent, RebootConfirmsTheLeaseAndDeclineDropsIt) {
  iface::InterfaceConfig ic;
  ic.address = wire::Ipv4Cidr{Ipv4Address(), 32};
  ic.mac = kMac;
  socket::Stack stack(ic);
  MemDevice dev;
  std::vector<std::string> log;
  DhcpAgentConfig cfg;
  cfg.client.seed = 5;
  auto agent = DhcpAgent::start(stack, cfg, [&](const sd::DhcpEvent& e, const DhcpAgent&) {
    log.push_back(sd::describe(e));
  });
  ASSERT_TRUE(agent.ok());
  Instant now{};
  stack.poll(now, dev);
  Sent d = parse_sent(dev.out.back());
  dev.in.push_back(
      server_packet(reply_to(d.dhcp, sd::DhcpMessageType::Offer, Ipv4Address(10, 9, 0, 50))));
  stack.poll(now, dev);
  Sent r = parse_sent(dev.out.back());
  dev.in.push_back(
      server_packet(reply_to(r.dhcp, sd::DhcpMessageType::Ack, Ipv4Address(10, 9, 0, 50))));
  stack.poll(now, dev);
  ASSERT_EQ(stack.interface().address(), Ipv4Address(10, 9, 0, 50));

  now += 5s;
  stack.set_time(now);  // the agent reads the stack's time
  (*agent)->reboot();
  stack.poll(now, dev);
  Sent rb = parse_sent(dev.out.back());
  EXPECT_EQ(rb.dhcp.message_type, sd::DhcpMessageType::Request);
  EXPECT_EQ(rb.ip.dst, Ipv4Address::broadcast());
  EXPECT_EQ(rb.dhcp.requested_ip, Ipv4Address(10, 9, 0, 50));
  EXPECT_FALSE(rb.dhcp.server_id);
  EXPECT_EQ(rb.dhcp.ciaddr, Ipv4Address());
  EXPECT_EQ((*agent)->client().state(), sd::DhcpState::Rebooting);
  EXPECT_EQ(stack.interface().address(), Ipv4Address(10, 9, 0, 50));
  dev.in.push_back(
      server_packet(reply_to(rb.dhcp, sd::DhcpMessageType::Ack, Ipv4Address(10, 9, 0, 50))));
  stack.poll(now, dev);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1], "leased 10.9.0.50/24 router 10.9.0.1 dns 10.9.0.1 lease 120s");
  EXPECT_EQ(stack.poll_at(), now + 60s);  // T1 from the INIT-REBOOT REQUEST

  (*agent)->decline("in use");
  EXPECT_TRUE(stack.interface().address().is_unspecified());
  stack.poll(now, dev);
  Sent dec = parse_sent(dev.out.back());
  EXPECT_EQ(dec.dhcp.message_type, sd::DhcpMessageType::Decline);
  EXPECT_EQ(dec.ip.src, Ipv4Address());
  EXPECT_EQ(dec.ip.dst, Ipv4Address::broadcast());
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[2], "declined 10.9.0.50/24 (in use): discovering again in 10s");
  EXPECT_EQ(stack.poll_at(), now + 10s);
}

// RFC 5227 through the agent: the ACKed address is applied only once three
// ARP probes went unanswered (0, 1, 2 s; free at 4 s); an answer to a probe
// makes it DECLINE instead.
struct ProbingAgent {
  socket::Stack stack{[] {
    iface::InterfaceConfig ic;
    ic.address = wire::Ipv4Cidr{Ipv4Address(), 32};
    ic.mac = kMac;
    return ic;
  }()};
  MemDevice dev;
  std::vector<std::string> log;
  std::vector<std::vector<std::uint8_t>> probes;
  std::unique_ptr<DhcpAgent> agent;

  ProbingAgent() {
    DhcpAgentConfig cfg;
    cfg.client.seed = 5;
    cfg.probe.probe_wait = 0s;
    cfg.probe.probe_min = cfg.probe.probe_max = 1s;
    cfg.send_frame = [this](std::span<const std::uint8_t> f) {
      probes.emplace_back(f.begin(), f.end());
    };
    agent =
        std::move(*DhcpAgent::start(stack, cfg, [this](const sd::DhcpEvent& e, const DhcpAgent&) {
          log.push_back(sd::describe(e));
        }));
    stack.poll(Instant{}, dev);
    Sent d = parse_sent(dev.out.back());
    dev.in.push_back(
        server_packet(reply_to(d.dhcp, sd::DhcpMessageType::Offer, Ipv4Address(10, 9, 0, 50))));
    stack.poll(Instant{}, dev);
    Sent r = parse_sent(dev.out.back());
    dev.in.push_back(
        server_packet(reply_to(r.dhcp, sd::DhcpMessageType::Ack, Ipv4Address(10, 9, 0, 50))));
    stack.poll(Instant{}, dev);
  }
};

TEST(DhcpAgent, ProbesTheAddressBeforeUsingIt) {
  ProbingAgent a;
  EXPECT_TRUE(a.log.empty());
  EXPECT_TRUE(a.stack.interface().address().is_unspecified());
  for (auto t : {0s, 1s, 2s, 3s})
    a.stack.poll(Instant(t), a.dev);
  EXPECT_EQ(a.probes.size(), 3u);
  EXPECT_TRUE(a.log.empty());
  EXPECT_TRUE(a.stack.interface().address().is_unspecified());
  EXPECT_EQ(a.stack.poll_at(), Instant(4s));
  a.stack.poll(Instant(4s), a.dev);
  ASSERT_EQ(a.log.size(), 1u);
  EXPECT_EQ(a.log[0], "leased 10.9.0.50/24 router 10.9.0.1 dns 10.9.0.1 lease 120s");
  EXPECT_EQ(a.stack.interface().address(), Ipv4Address(10, 9, 0, 50));
  EXPECT_EQ(a.agent->probe().result(), sd::ArpProbe::Result::Idle);
}

TEST(DhcpAgent, DeclinesAnAddressAnotherHostAnswersFor) {
  ProbingAgent a;
  a.stack.poll(Instant(0s), a.dev);
  ASSERT_EQ(a.probes.size(), 1u);
  std::vector<std::uint8_t> answer(60, 0);
  const wire::MacAddress holder(2, 0, 0, 0, 0, 0x99);
  wire::EthernetRepr{kMac, holder, wire::EtherType::Arp}.emit(answer);
  wire::ArpRepr{wire::ArpOperation::Reply, holder, Ipv4Address(10, 9, 0, 50), kMac, Ipv4Address()}
      .emit(std::span(answer).subspan(14));
  a.agent->on_frame(Instant(500ms), answer);
  std::size_t before = a.dev.out.size();
  a.stack.poll(Instant(500ms), a.dev);
  ASSERT_EQ(a.log.size(), 1u);
  EXPECT_EQ(a.log[0],
            "declined 10.9.0.50/24 (in use by 02:00:00:00:00:99): discovering again in 10s");
  EXPECT_TRUE(a.stack.interface().address().is_unspecified());
  ASSERT_EQ(a.dev.out.size(), before + 1);
  Sent dec = parse_sent(a.dev.out.back());
  EXPECT_EQ(dec.dhcp.message_type, sd::DhcpMessageType::Decline);
  EXPECT_EQ(dec.dhcp.requested_ip, Ipv4Address(10, 9, 0, 50));
  EXPECT_EQ(dec.ip.dst, Ipv4Address::broadcast());
  EXPECT_EQ(a.stack.poll_at(), Instant(10500ms));
}

TEST(DhcpAgent, StableMacFollowsTheName) {
  EXPECT_EQ(stable_mac("skd0"), stable_mac("skd0"));
  EXPECT_NE(stable_mac("skd0"), stable_mac("skd1"));
  EXPECT_TRUE(stable_mac("skd0").is_local());
  EXPECT_TRUE(stable_mac("skd0").is_unicast());
  // FNV-1a of "" is 0x811c9dc5.
  EXPECT_EQ(stable_mac("").to_string(), "02:00:81:1c:9d:c5");
}

TEST(DhcpAgent, PortInUse) {
  iface::InterfaceConfig ic;
  ic.address = wire::Ipv4Cidr{Ipv4Address(), 32};
  socket::Stack stack(ic);
  auto taken = stack.udp_bind(68);
  ASSERT_TRUE(taken.ok());
  auto agent = DhcpAgent::start(stack, {}, {});
  ASSERT_FALSE(agent.ok());
  EXPECT_EQ(agent.error(), socket::SocketError::AddressInUse);
}

}  // namespace
}  // namespace synack::apps::dhcp
