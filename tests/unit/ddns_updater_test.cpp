// DdnsUpdater on a Stack over an in-memory IP device and a virtual clock:
// the RFC 2136 UPDATE leaves over UDP at 0 s, again at 2 s and 4 s, gives up
// at 8 s and tries again 5 min later (ddclient's error interval); a REFUSED
// answer is fatal until the address changes; every step is one log line.
#include "apps/ddns/ddns_updater.hpp"
#include "support/mem_device.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <vector>

#include "wire/ipv4.hpp"
#include "wire/udp.hpp"

namespace synack::apps::ddns {
namespace {

using namespace std::chrono_literals;
using wire::Ipv4Address;

const Ipv4Address kUs(10, 9, 0, 50), kServer(10, 9, 0, 1);

using test::MemDevice;

struct Udp {
  Ipv4Address dst;
  std::uint16_t src_port = 0, dst_port = 0;
  std::vector<std::uint8_t> payload;
};

Udp parse(const std::vector<std::uint8_t>& pkt) {
  auto iv = wire::Ipv4View<const std::uint8_t>::checked(pkt);
  EXPECT_TRUE(iv.ok());
  auto ip = *wire::Ipv4Repr::parse(*iv);
  auto uv = wire::UdpView<const std::uint8_t>::checked(iv->payload());
  EXPECT_TRUE(uv.ok());
  auto u = *wire::UdpRepr::parse(*uv, {ip.src, ip.dst, 17, 0});
  return {ip.dst, u.src_port, u.dst_port, {u.payload.begin(), u.payload.end()}};
}

std::vector<std::uint8_t> from_server(std::uint16_t to_port, std::vector<std::uint8_t> dns) {
  wire::UdpRepr u{53, to_port, dns};
  wire::Ipv4Repr ip;
  ip.src = kServer;
  ip.dst = kUs;
  ip.protocol = 17;
  ip.payload_len = static_cast<std::uint16_t>(u.total_len());
  std::vector<std::uint8_t> pkt(20 + u.total_len());
  ip.emit(pkt);
  u.emit(std::span(pkt).subspan(20), ip.src, ip.dst);
  return pkt;
}

DdnsSpec spec() {
  DdnsSpec s;
  s.kind = DdnsSpec::Kind::Rfc2136;
  s.rfc2136.server = kServer;
  s.rfc2136.zone = "example.test.";
  s.rfc2136.name = "home.example.test.";
  std::string err;
  s.rfc2136.key = *parse_tsig_key_file(
      "key \"k\" { algorithm hmac-sha256; secret \"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"; };", &err);
  return s;
}

TEST(DdnsUpdater, Rfc2136RetransmitsGivesUpAndHonoursTheErrorInterval) {
  iface::InterfaceConfig ic;
  ic.address = wire::Ipv4Cidr{kUs, 24};
  socket::Stack stack(ic);
  MemDevice dev;
  std::vector<std::string> log;
  std::string err;
  auto u = DdnsUpdater::create(
      stack, spec(), [&](const std::string& l) { log.push_back(l); }, &err);
  ASSERT_TRUE(u) << err;
  EXPECT_EQ(stack.poll_at(), kNever);  // no address yet
  u->set_address(kUs);
  auto run_until = [&](Instant t) {
    while (stack.poll_at() <= t)
      stack.poll(stack.poll_at(), dev);
  };
  stack.poll(Instant{}, dev);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0],
            "ddns: updating home.example.test. A 10.9.0.50 (rfc2136 home.example.test. at "
            "10.9.0.1)");
  run_until(Instant(7s));
  ASSERT_EQ(dev.out.size(), 3u);  // at 0, 2 and 4 s; the same bytes each time
  Udp first = parse(dev.out[0]);
  EXPECT_EQ(first.dst, kServer);
  EXPECT_EQ(first.dst_port, 53);
  EXPECT_EQ(first.payload[2] & 0x78, 5 << 3);  // opcode UPDATE
  EXPECT_EQ(parse(dev.out[2]).payload, first.payload);
  EXPECT_EQ(log.size(), 1u);
  run_until(Instant(8s));
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1],
            "ddns: home.example.test. A 10.9.0.50: transient failure (timed out (no answer to 3 "
            "UDP messages)); next try in 300s");
  EXPECT_EQ(stack.poll_at(), Instant(308s));
  run_until(Instant(308s));
  ASSERT_EQ(dev.out.size(), 4u);
  ASSERT_EQ(log.size(), 3u);
  // An unsigned REFUSED to the new message (forged, or a broken server):
  // logged and discarded (RFC 8945 §5.4); the update goes on waiting for a
  // verified answer, and without one it is a transient failure, not a
  // fatal one.
  Udp again = parse(dev.out[3]);
  std::vector<std::uint8_t> refused = {
      again.payload[0], again.payload[1], 0xa8, 0x05, 0, 0, 0, 0, 0, 0, 0, 0};
  dev.in.push_back(from_server(again.src_port, refused));
  stack.poll(Instant(309s), dev);
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[3], "ddns: home.example.test.: ignored an answer from 10.9.0.1: REFUSED, unsigned");
  run_until(Instant(316s));
  EXPECT_EQ(dev.out.size(), 6u);  // the retransmissions at 310 and 312 s went out
  ASSERT_EQ(log.size(), 5u);
  EXPECT_EQ(log[4],
            "ddns: home.example.test. A 10.9.0.50: transient failure (timed out (no verified "
            "answer to 3 UDP messages; discarded: REFUSED, unsigned)); next try in 300s");
  EXPECT_EQ(stack.poll_at(), Instant(616s));
  EXPECT_EQ(u->counters().updates, 2u);
  EXPECT_EQ(u->counters().failures, 2u);
}

// A dyndns2 URL that names its host: without a DNS server the update is a
// transient failure that says so; with one (the lease's, or --dns) the name
// is looked up first and the request goes to the address it has.
TEST(DdnsUpdater, Dyndns2NamedHostIsResolvedThroughTheGivenServer) {
  iface::InterfaceConfig ic;
  ic.address = wire::Ipv4Cidr{kUs, 24};
  socket::Stack stack(ic);
  MemDevice dev;
  std::vector<std::string> log;
  std::string err;
  DdnsSpec s;
  s.kind = DdnsSpec::Kind::Dyndns2;
  s.dyndns2.url = "http://members.dyn.test:8245/nic/update";
  s.dyndns2.name = "home.dyn.test";
  s.dyndns2.user = "u";
  s.dyndns2.password = "p";
  auto u = DdnsUpdater::create(
      stack, s, [&](const std::string& l) { log.push_back(l); }, &err);
  ASSERT_TRUE(u) << err;
  u->set_address(kUs);
  stack.poll(Instant{}, dev);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1],
            "ddns: home.dyn.test A 10.9.0.50: transient failure (cannot resolve members.dyn.test: "
            "no DNS server (none from DHCP; give --dns)); next try in 300s");
  EXPECT_TRUE(dev.out.empty());

  u->set_dns_servers({kServer});
  stack.poll(Instant(300s), dev);
  ASSERT_EQ(dev.out.size(), 1u);
  Udp q = parse(dev.out[0]);
  EXPECT_EQ(q.dst, kServer);
  EXPECT_EQ(q.dst_port, 53);
  // The answer: members.dyn.test A 10.9.0.7.
  std::vector<std::uint8_t> a(q.payload.begin(), q.payload.end());
  a[2] = 0x81;
  a[3] = 0x80;
  a[7] = 1;  // ANCOUNT
  a.resize(12 + (q.payload.size() - 12));
  for (std::uint8_t b : {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 9, 0, 7})
    a.push_back(b);
  dev.in.push_back(from_server(q.src_port, a));
  stack.poll(Instant(300s + 1ms), dev);
  ASSERT_EQ(dev.out.size(), 2u);
  auto iv = wire::Ipv4View<const std::uint8_t>::checked(dev.out[1]);
  ASSERT_TRUE(iv.ok());
  auto ip = *wire::Ipv4Repr::parse(*iv);
  EXPECT_EQ(ip.protocol, 6);  // the TCP SYN of the HTTP request
  EXPECT_EQ(ip.dst, Ipv4Address(10, 9, 0, 7));
  EXPECT_EQ(iv->payload()[2] << 8 | iv->payload()[3], 8245);
}

}  // namespace
}  // namespace synack::apps::ddns
