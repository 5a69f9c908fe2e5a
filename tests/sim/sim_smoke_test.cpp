#include <gtest/gtest.h>

#include <iostream>

#include "phy/simulation.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"
#include "trace/sequence_diagram.hpp"

using namespace synack;
using namespace std::chrono_literals;

TEST(SimSmoke, HandshakeRequestResponseClose) {
  phy::Simulation sim(1);
  tcp::Trace trace;
  iface::InterfaceConfig c;
  c.name = "client";
  c.address = *wire::Ipv4Cidr::parse("10.0.0.1/24");
  iface::InterfaceConfig s = c;
  s.name = "server";
  s.address = *wire::Ipv4Cidr::parse("10.0.0.2/24");
  auto& client = sim.add_host(c);
  auto& server = sim.add_host(s);
  phy::LinkParams lp;
  lp.delay = 10ms;
  sim.link(client, server, lp);
  sim.set_trace(&trace);

  auto listener = server.listen(80);
  ASSERT_TRUE(listener);
  auto stream = client.connect(wire::Ipv4Address(10, 0, 0, 2), 80);
  ASSERT_TRUE(stream);
  std::optional<socket::TcpStream> accepted;
  sim.run_until([&] { return (accepted = listener->accept()).has_value(); },
                instant_from_us(5'000'000));
  ASSERT_TRUE(accepted);
  EXPECT_TRUE(stream->connected());
  stream->write("GET / HTTP/1.0\r\n\r\n");
  sim.run_for(100ms);
  std::uint8_t buf[100];
  std::size_t n = accepted->read(buf);
  EXPECT_EQ(n, 18u);
  accepted->write("hello");
  accepted->close();
  sim.run_for(100ms);
  n = stream->read(buf);
  EXPECT_EQ(n, 5u);
  EXPECT_TRUE(stream->at_eof());
  stream->close();
  sim.run_for(100ms);
  EXPECT_EQ(stream->state(), tcp::TcpState::Closed);
  trace::DiagramOptions o;
  std::cout << trace::render_sequence_diagram(trace.events(), o);
}
