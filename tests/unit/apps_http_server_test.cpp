// HttpServer, the I/O side, on the deterministic simulator: real synack
// client sockets against it over a simulated link, on the virtual clock.
// Counts connections and requests through the server's own report.
#include <gtest/gtest.h>

#include <string>

#include "apps/http/http_server.hpp"
#include "apps/http/site_handler.hpp"
#include "phy/simulation.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"

using namespace synack;
using namespace synack::apps::http;
using namespace std::chrono_literals;

namespace {

iface::InterfaceConfig host(const char* name, const char* cidr) {
  iface::InterfaceConfig c;
  c.name = name;
  c.address = *wire::Ipv4Cidr::parse(cidr);
  return c;
}

struct World {
  explicit World(HttpServerConfig cfg = {})
      : sim(7),
        client(sim.add_host(host("client", "10.0.0.1/24"))),
        server(sim.add_host(host("server", "10.0.0.2/24"))) {
    sim.link(client, server, *phy::LinkParams::parse("delay=5ms", nullptr));
    auto files = std::make_shared<MemorySource>();
    files->add("/index.html", "<p>hi</p>\n");
    http = std::make_unique<HttpServer>(server, make_site_handler(files), cfg);
    listener = std::move(*server.listen(80));
    listener.on_acceptable([this] {
      while (auto s = listener.accept())
        http->adopt(std::move(*s));
    });
  }
  // Runs the simulation in 10 ms steps, ticking the server, until done() or
  // `limit` of virtual time.
  bool run(const std::function<bool()>& done, Duration limit = 10s) {
    Instant end = sim.now() + limit;
    while (sim.now() < end) {
      if (done()) return true;
      sim.run_for(10ms);
      http->tick();
    }
    return done();
  }
  // Sends `request` on a new connection and reads until the server closes.
  std::string exchange(const std::string& request, bool* closed = nullptr) {
    socket::TcpStream s = std::move(*client.connect({10, 0, 0, 2}, 80));
    s.write(request);
    std::string got;
    bool ok = run([&] {
      std::uint8_t buf[4096];
      while (std::size_t n = s.read(buf))
        got.append(reinterpret_cast<char*>(buf), n);
      return s.at_eof();
    });
    if (closed) *closed = ok;
    return got;
  }

  phy::Simulation sim;
  socket::Stack& client;
  socket::Stack& server;
  std::unique_ptr<HttpServer> http;
  socket::TcpListener listener;
};

int count(const std::string& s, std::string_view what) {
  int n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1))
    ++n;
  return n;
}

}  // namespace

TEST(HttpServer, PipelinedThenCloseOnOneConnection) {
  World w;
  bool closed = false;
  std::string req = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  std::string got = w.exchange(
      req + req + req + "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", &closed);
  EXPECT_TRUE(closed);  // RFC 9112 §9.6: the server closes after the answer
  EXPECT_EQ(count(got, "HTTP/1.1 200 OK"), 4);
  EXPECT_EQ(count(got, "Connection: close"), 1);
  w.run([] { return false; }, 3s);  // the linger ends, the connection is reaped
  auto conns = w.http->connections();
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].requests, 4u);
  EXPECT_EQ(conns[0].protocol, "http/1.1");
  EXPECT_FALSE(conns[0].open);
  EXPECT_TRUE(w.http->all_closed());
}

TEST(HttpServer, Http10OneConnectionPerRequest) {
  World w;
  for (int i = 0; i < 5; ++i) {
    bool closed = false;
    std::string got = w.exchange("GET / HTTP/1.0\r\n\r\n", &closed);
    EXPECT_TRUE(closed);
    EXPECT_EQ(got.substr(0, 15), "HTTP/1.1 200 OK");
  }
  w.run([] { return false; }, 3s);
  auto conns = w.http->connections();
  ASSERT_EQ(conns.size(), 5u);
  for (const auto& c : conns)
    EXPECT_EQ(std::make_pair(c.protocol, c.requests), std::make_pair(std::string("http/1.0"), 1ul));
  EXPECT_NE(w.http->report().find("http: connections 5 (open 0) requests 5 errors 0; http/1.0 5\n"),
            std::string::npos)
      << w.http->report();
}

TEST(HttpServer, IdleTimeoutOnTheVirtualClock) {
  HttpServerConfig cfg;
  cfg.http1.idle_timeout = 2s;
  World w(cfg);
  socket::TcpStream s = std::move(*w.client.connect({10, 0, 0, 2}, 80));
  s.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  std::string got;
  Instant start = w.sim.now();
  ASSERT_TRUE(w.run([&] {
    std::uint8_t buf[4096];
    while (std::size_t n = s.read(buf))
      got.append(reinterpret_cast<char*>(buf), n);
    return s.at_eof();
  }));
  Duration took = w.sim.now() - start;
  EXPECT_GE(took, 2s);
  EXPECT_LT(took, 2s + 200ms);
  EXPECT_EQ(count(got, "HTTP/1.1 200 OK"), 1);
  EXPECT_EQ(w.http->connections().at(0).errors, 1u);  // the timeout is counted
}

TEST(HttpServer, ReportListsTheLastFinishedConnectionsAndCountsAll) {
  HttpServerConfig cfg;
  cfg.finished_listed = 2;
  World w(cfg);
  for (int i = 0; i < 5; ++i)
    w.exchange("GET / HTTP/1.0\r\n\r\n");
  w.run([] { return false; }, 3s);
  std::string r = w.http->report();
  EXPECT_NE(r.find("http: connections 5 (open 0) requests 5 errors 0; http/1.0 5\n"),
            std::string::npos)
      << r;
  EXPECT_NE(r.find("(3 earlier connections counted above, not listed)"), std::string::npos) << r;
  EXPECT_EQ(count(r, "http: conn "), 2);
  EXPECT_NE(r.find("http: conn 5 10.0.0.1:"), std::string::npos) << r;
}

TEST(HttpServer, FiveHundredPipelinedRequestsAllAnswered) {
  World w;
  std::string req;
  for (int i = 0; i < 499; ++i)
    req += "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  req += "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  bool closed = false;
  std::string got = w.exchange(req, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(count(got, "HTTP/1.1 200 OK"), 500);
  EXPECT_EQ(count(got, "<p>hi</p>"), 500);
}
