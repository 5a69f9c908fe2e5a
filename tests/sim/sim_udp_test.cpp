// UDP between two synack hosts on the simulated network: an echo served
// from a coroutine, our own ICMP port unreachable reaching our own
// connected socket, and a resolver timing out on a silent server.
#include <gtest/gtest.h>

#include "phy/simulation.hpp"
#include "socket/dns_resolver.hpp"
#include "socket/udp_socket.hpp"

using namespace synack;
using namespace std::chrono_literals;

namespace {

struct TwoHosts {
  TwoHosts() : sim(11) {
    iface::InterfaceConfig c;
    c.name = "client";
    c.address = *wire::Ipv4Cidr::parse("10.0.0.1/24");
    iface::InterfaceConfig s = c;
    s.name = "server";
    s.address = *wire::Ipv4Cidr::parse("10.0.0.2/24");
    client = &sim.add_host(c);
    server = &sim.add_host(s);
    phy::LinkParams link;
    link.delay = 5ms;
    sim.link(*client, *server, link);
  }
  phy::Simulation sim;
  socket::Stack* client;
  socket::Stack* server;
};

const wire::Ipv4Address kServer(10, 0, 0, 2);

// Ends after `n` datagrams: a coroutine left waiting would leak its frame.
socket::Task<> echo_n(socket::UdpSocket& sock, int n) {
  for (int i = 0; i < n; ++i) {
    auto d = co_await sock.recv_from();
    if (!d) co_return;
    sock.send_to(d->addr, d->port, d->data);
  }
}

}  // namespace

TEST(SimUdp, EchoRoundTripsOverTheLink) {
  TwoHosts h;
  auto server = h.server->udp_bind(7);
  auto client = h.client->udp_bind(0);
  ASSERT_TRUE(server && client);
  socket::spawn(echo_n(*server, 10));
  ASSERT_EQ(client->connect(kServer, 7), socket::SocketError::None);
  std::vector<std::string> got;
  client->on_event([&] {
    while (auto d = client->try_recv())
      got.emplace_back(d->data.begin(), d->data.end());
  });
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(client->send("datagram " + std::to_string(i)), socket::SocketError::None);
  h.sim.run_for(1s);
  ASSERT_EQ(got.size(), 10u);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(got[i], "datagram " + std::to_string(i));
}

TEST(SimUdp, OurPortUnreachableReachesOurConnectedSocket) {
  TwoHosts h;
  auto client = h.client->udp_bind(0);
  client->connect(kServer, 9);  // nothing bound there
  socket::SocketError seen = socket::SocketError::None;
  client->on_event([&] {
    auto r = client->try_recv();
    if (!r) seen = r.error();
  });
  client->send("anyone?");
  h.sim.run_for(1s);
  EXPECT_EQ(seen, socket::SocketError::Refused);
  EXPECT_EQ(h.server->interface().counters().icmp_unreachable_sent, 1u);
}

TEST(SimUdp, ResolverGivesUpOnASilentServerAtSevenSeconds) {
  TwoHosts h;
  auto silent = h.server->udp_bind(53);  // bound, never answers
  auto dns = socket::DnsResolver::open(*h.client, kServer);
  ASSERT_TRUE(dns);
  std::optional<Instant> when;
  dns::ResolveError err = dns::ResolveError::None;
  (*dns)->resolve_a("host.test", [&](const dns::ResolveResult& r) {
    when = h.client->now();
    err = r.error;
  });
  h.sim.run_for(20s);
  ASSERT_TRUE(when);
  EXPECT_EQ(*when, Instant(7s));
  EXPECT_EQ(err, dns::ResolveError::TimedOut);
  EXPECT_EQ(silent->counters().datagrams_in, 3u);  // the query and two retries
}
