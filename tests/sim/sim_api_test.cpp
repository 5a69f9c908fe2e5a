// The public socket API on the simulated network: coroutines, callbacks and
// errors as values.
#include <gtest/gtest.h>

#include "phy/simulation.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"

using namespace synack;
using namespace std::chrono_literals;

namespace {

struct TwoHosts {
  explicit TwoHosts(phy::LinkParams link = {}) : sim(7) {
    iface::InterfaceConfig c;
    c.name = "client";
    c.address = *wire::Ipv4Cidr::parse("10.0.0.1/24");
    iface::InterfaceConfig s = c;
    s.name = "server";
    s.address = *wire::Ipv4Cidr::parse("10.0.0.2/24");
    client = &sim.add_host(c);
    server = &sim.add_host(s);
    if (link.delay == Duration(0)) link.delay = 5ms;
    sim.link(*client, *server, link);
  }
  Instant at(Duration d) { return Instant(d); }
  phy::Simulation sim;
  socket::Stack* client;
  socket::Stack* server;
};

std::span<const std::uint8_t> bytes(const std::string& s) {
  return std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

socket::Task<> echo_once(socket::TcpListener& l, int& served) {
  auto conn = co_await l.accept_async();
  EXPECT_TRUE(conn);
  auto data = co_await conn->read_to_end();  // until the client half-closes
  EXPECT_TRUE(data);
  EXPECT_EQ(co_await conn->write_all(bytes(*data)), socket::SocketError::None);
  conn->close();
  co_await conn->wait_closed();
  ++served;
}

socket::Task<> ask(socket::Stack& stack, std::string request, std::string& reply,
                   socket::SocketError& err) {
  auto s = stack.connect(wire::Ipv4Address(10, 0, 0, 2), 80);
  EXPECT_TRUE(s);
  err = co_await s->wait_connected();
  if (err != socket::SocketError::None) co_return;
  err = co_await s->write_all(bytes(request));
  s->shutdown();  // half-close: the server reads to our FIN, then answers
  auto r = co_await s->read_to_end();
  if (r) reply = *r;
  co_await s->wait_closed();
}

}  // namespace

TEST(SimApi, CoroutineEchoWithHalfClose) {
  TwoHosts h;
  auto l = h.server->listen(80);
  ASSERT_TRUE(l);
  int served = 0;
  std::string reply;
  socket::SocketError err = socket::SocketError::Closed;
  std::string request(100'000, 'q');
  for (std::size_t i = 0; i < request.size(); ++i)
    request[i] = static_cast<char>('a' + i % 26);
  socket::spawn(echo_once(*l, served));
  socket::spawn(ask(*h.client, request, reply, err));
  h.sim.run_until([&] { return served == 1 && !reply.empty(); }, h.at(60s));
  EXPECT_EQ(err, socket::SocketError::None);
  EXPECT_EQ(reply, request);
  EXPECT_EQ(served, 1);
  h.sim.run_for(61s);  // TIME-WAIT (on the client: it closed first) ends
  EXPECT_EQ(h.client->tcp().time_wait().size(), 0u);
  EXPECT_EQ(h.client->tcp().connection_pool().live, 0u);
  EXPECT_EQ(h.server->tcp().connection_pool().live, 0u);
}

TEST(SimApi, ConnectToClosedPortIsRefused) {
  TwoHosts h;
  std::string reply;
  socket::SocketError err = socket::SocketError::None;
  socket::spawn(ask(*h.client, "x", reply, err));
  h.sim.run_for(1s);
  EXPECT_EQ(err, socket::SocketError::Refused);
}

TEST(SimApi, ConnectIntoTheVoidTimesOutAfter127Seconds) {
  phy::LinkParams dead;
  dead.loss = 1.0;
  TwoHosts h(dead);
  auto s = h.client->connect(wire::Ipv4Address(10, 0, 0, 2), 80);
  ASSERT_TRUE(s);
  h.sim.run_until(h.at(126s));
  EXPECT_EQ(s->state(), tcp::TcpState::SynSent);
  h.sim.run_until(h.at(127s));
  EXPECT_EQ(s->state(), tcp::TcpState::Closed);
  EXPECT_EQ(s->error(), socket::SocketError::TimedOut);
  EXPECT_EQ(s->connection().stats().retransmits, 6u);
}

TEST(SimApi, CallbacksSeeConnectReadAndClose) {
  TwoHosts h;
  auto l = h.server->listen(80);
  std::optional<socket::TcpStream> server_side;
  std::string got;
  l->on_acceptable([&] {
    server_side = l->accept();
    server_side->on_event([&] {
      std::uint8_t buf[256];
      while (std::size_t n = server_side->read(buf))
        got.append(reinterpret_cast<char*>(buf), n);
      if (server_side->at_eof() && server_side->state() == tcp::TcpState::CloseWait)
        server_side->close();
    });
  });
  auto c = h.client->connect(wire::Ipv4Address(10, 0, 0, 2), 80);
  bool connected_seen = false;
  c->on_event([&] {
    if (c->connected() && !connected_seen) {
      connected_seen = true;
      c->write("via callbacks");
      c->close();
    }
  });
  h.sim.run_for(2s);
  EXPECT_TRUE(connected_seen);
  EXPECT_EQ(got, "via callbacks");
  EXPECT_EQ(server_side->state(), tcp::TcpState::Closed);
  EXPECT_EQ(c->state(), tcp::TcpState::TimeWait);
}

TEST(SimApi, AbortResetsThePeer) {
  TwoHosts h;
  auto l = h.server->listen(80);
  auto c = h.client->connect(wire::Ipv4Address(10, 0, 0, 2), 80);
  h.sim.run_for(100ms);
  auto s = l->accept();
  ASSERT_TRUE(s);
  c->abort();
  h.sim.run_for(100ms);
  EXPECT_EQ(c->error(), socket::SocketError::Aborted);
  EXPECT_EQ(s->state(), tcp::TcpState::Closed);
  EXPECT_EQ(s->error(), socket::SocketError::Reset);
}

TEST(SimApi, ListenOnBusyPortFailsAsValue) {
  TwoHosts h;
  auto a = h.server->listen(80);
  ASSERT_TRUE(a);
  auto b = h.server->listen(80);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), socket::SocketError::AddressInUse);
  auto z = h.server->listen(0);
  EXPECT_EQ(z.error(), socket::SocketError::InvalidArgument);
}
