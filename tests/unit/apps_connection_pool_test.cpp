// ConnectionPool on the deterministic simulator against synack's own
// HttpServer, on the virtual clock: the per-host limit, queueing, reuse, and
// HTTP/1.0's connection per request, counted on both sides.
#include <gtest/gtest.h>

#include <list>
#include <string>

#include "apps/http/builtin_site.hpp"
#include "apps/http/connection_pool.hpp"
#include "apps/http/http_server.hpp"
#include "apps/http/site_handler.hpp"
#include "apps/http/tls_context.hpp"
#include "phy/simulation.hpp"
#include "socket/tcp_listener.hpp"

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
  explicit World(PoolConfig pool_cfg, HttpServerConfig server_cfg = {}, std::uint16_t port = 80)
      : sim(11),
        client(sim.add_host(host("client", "10.0.0.1/24"))),
        server(sim.add_host(host("server", "10.0.0.2/24"))) {
    sim.link(client, server, *phy::LinkParams::parse("delay=5ms", nullptr));
    auto files = std::make_shared<MemorySource>(builtin_site());
    http = std::make_unique<HttpServer>(server, make_site_handler(files), server_cfg);
    listener = std::move(*server.listen(port));
    listener.on_acceptable([this] {
      while (auto s = listener.accept())
        http->adopt(std::move(*s));
    });
    pool = std::make_unique<ConnectionPool>(client, pool_cfg);
  }
  // Runs in 1 ms steps, ticking both sides and checking the per-host limit
  // after every step, until the pool is idle.
  bool run(Duration limit = 20s) {
    Instant end = sim.now() + limit;
    while (sim.now() < end) {
      pool->tick();
      max_open_seen = std::max(max_open_seen, pool->open_connections(origin));
      if (pool->idle()) return true;
      sim.run_for(1ms);
      http->tick();
    }
    return false;
  }
  FetchUrl url(const std::string& path) { return *parse_fetch_url(base + path, nullptr); }
  void fetch_page() {
    pool->fetch(url("/index.html"));
    pool->fetch(url("/style.css"));
    for (int i = 1; i <= kBuiltinImages; ++i) {
      char p[32];
      std::snprintf(p, sizeof p, "/img/%02d.svg", i);
      pool->fetch(url(p));
    }
  }

  phy::Simulation sim;
  socket::Stack& client;
  socket::Stack& server;
  std::unique_ptr<HttpServer> http;
  socket::TcpListener listener;
  std::unique_ptr<ConnectionPool> pool;
  std::string base = "http://10.0.0.2";
  FetchUrl origin = *parse_fetch_url("http://10.0.0.2/", nullptr);
  std::size_t max_open_seen = 0;
};

}  // namespace

TEST(ConnectionPool, ThirtyTwoRequestsOnSixConnectionsNeverMore) {
  World w(PoolConfig{});
  w.fetch_page();
  ASSERT_TRUE(w.run());
  EXPECT_EQ(w.max_open_seen, 6u);
  const apps::http::PoolStats& st = w.pool->stats();
  EXPECT_EQ(st.connections_opened, 6u);
  EXPECT_EQ(st.max_open_per_host, 6u);
  EXPECT_EQ(st.requests, 32u);
  EXPECT_EQ(st.connections_reused, 26u);
  ASSERT_EQ(st.requests_per_connection.size(), 6u);
  std::uint64_t sum = 0;
  for (auto n : st.requests_per_connection) {
    EXPECT_GE(n, 1u);
    sum += n;
  }
  EXPECT_EQ(sum, 32u);
  // The first six started at once on new connections, the rest waited.
  int fresh = 0, waited = 0;
  for (const FetchRecord& r : w.pool->records()) {
    EXPECT_EQ(r.status, 200) << r.url.text() << " " << r.error;
    EXPECT_GT(r.bytes, 0u);
    EXPECT_LE(r.queued, r.started);
    EXPECT_LE(r.started, r.first_byte);
    EXPECT_LE(r.first_byte, r.end);
    if (!r.reused) {
      ++fresh;
      EXPECT_NE(r.connected, kNever);
      // One round trip (10 ms) for the handshake on a 5 ms link.
      EXPECT_EQ(r.connected - r.connect_start, 10ms);
    } else {
      EXPECT_EQ(r.connected, kNever);
    }
    if (r.started > r.queued) ++waited;
  }
  EXPECT_EQ(fresh, 6);
  EXPECT_EQ(waited, 26);
  EXPECT_GT(st.max_queue_wait, 0ms);
  // The server saw the same: six connections carrying 32 requests.
  w.pool->close_all();
  w.sim.run_for(3s);
  w.http->tick();
  auto conns = w.http->connections();
  ASSERT_EQ(conns.size(), 6u);
  std::uint64_t served = 0;
  for (const auto& c : conns) {
    EXPECT_EQ(c.protocol, "http/1.1");
    served += c.requests;
  }
  EXPECT_EQ(served, 32u);
}

TEST(ConnectionPool, SequentialRequestsReuseOneConnection) {
  World w(PoolConfig{});
  for (int i = 0; i < 10; ++i) {
    w.pool->fetch(w.url("/style.css"));
    ASSERT_TRUE(w.run());
  }
  EXPECT_EQ(w.pool->stats().connections_opened, 1u);
  EXPECT_EQ(w.pool->stats().connections_reused, 9u);
  EXPECT_EQ(w.max_open_seen, 1u);
  for (const FetchRecord& r : w.pool->records()) {
    EXPECT_EQ(r.connection, 1u);
    EXPECT_EQ(r.status, 200);
  }
}

TEST(ConnectionPool, LimitOfTwoQueuesTheRestInOrder) {
  PoolConfig cfg;
  cfg.max_per_host = 2;
  World w(cfg);
  w.fetch_page();
  ASSERT_TRUE(w.run());
  EXPECT_EQ(w.max_open_seen, 2u);
  EXPECT_EQ(w.pool->stats().connections_opened, 2u);
  // FIFO: requests start in the order they were made.
  Instant last{};
  for (const FetchRecord& r : w.pool->records()) {
    EXPECT_GE(r.started, last);
    last = r.started;
    EXPECT_EQ(r.status, 200);
  }
}

TEST(ConnectionPool, Http10OpensOneConnectionPerRequest) {
  PoolConfig cfg;
  cfg.protocol = ClientProtocol::Http10;
  World w(cfg);
  w.fetch_page();
  ASSERT_TRUE(w.run());
  EXPECT_LE(w.max_open_seen, 6u);
  EXPECT_EQ(w.pool->stats().connections_opened, 32u);
  EXPECT_EQ(w.pool->stats().connections_reused, 0u);
  for (const FetchRecord& r : w.pool->records()) {
    EXPECT_FALSE(r.reused);
    EXPECT_EQ(r.status, 200);
  }
  w.sim.run_for(3s);
  w.http->tick();
  auto conns = w.http->connections();
  ASSERT_EQ(conns.size(), 32u);
  for (const auto& c : conns)
    EXPECT_EQ(std::make_pair(c.protocol, c.requests), std::make_pair(std::string("http/1.0"), 1ul));
}

TEST(ConnectionPool, RefusedConnectionIsAnErrorRecord) {
  World w(PoolConfig{});
  w.pool->fetch(*parse_fetch_url("http://10.0.0.2:81/", nullptr));
  ASSERT_TRUE(w.run());
  const FetchRecord& r = w.pool->records().at(0);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("refused"), std::string::npos) << r.error;
}

TEST(ConnectionPool, H2cPriorKnowledgeOneConnectionManyStreams) {
  PoolConfig cfg;
  cfg.protocol = ClientProtocol::Http2;
  World w(cfg);
  w.fetch_page();
  ASSERT_TRUE(w.run());
  EXPECT_EQ(w.max_open_seen, 1u);
  EXPECT_EQ(w.pool->stats().connections_opened, 1u);
  EXPECT_EQ(w.pool->stats().connections_reused, 31u);
  for (const FetchRecord& r : w.pool->records()) {
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.protocol, "h2c");
    EXPECT_EQ(r.connection, 1u);
  }
  w.pool->close_all();
  w.sim.run_for(3s);
  w.http->tick();
  auto conns = w.http->connections();
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(std::make_pair(conns[0].protocol, conns[0].requests),
            std::make_pair(std::string("h2c"), 32ul));
}

namespace {
HttpServerConfig tls_server() {
  HttpServerConfig cfg;
  std::string err;
  cfg.tls = TlsContext::self_signed("10.0.0.2", &err);
  return cfg;
}
}  // namespace

TEST(ConnectionPool, H2OverTlsByAlpnOneConnection) {
  PoolConfig cfg;
  cfg.verify_certificates = false;
  World w(cfg, tls_server(), 443);
  w.base = "https://10.0.0.2";
  w.origin = w.url("/");
  w.fetch_page();
  ASSERT_TRUE(w.run());
  EXPECT_EQ(w.max_open_seen, 1u);
  EXPECT_EQ(w.pool->stats().connections_opened, 1u);
  EXPECT_EQ(w.pool->stats().tls_full, 1u);
  for (const FetchRecord& r : w.pool->records()) {
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.protocol, "h2");
  }
}

TEST(ConnectionPool, SecondTlsConnectionResumes) {
  PoolConfig cfg;
  cfg.verify_certificates = false;
  cfg.protocol = ClientProtocol::Http10;
  cfg.max_per_host = 1;
  World w(cfg, tls_server(), 443);
  w.base = "https://10.0.0.2";
  w.origin = w.url("/");
  for (const char* p : {"/", "/style.css", "/img/01.svg"})
    w.pool->fetch(w.url(p));
  ASSERT_TRUE(w.run());
  EXPECT_EQ(w.pool->stats().connections_opened, 3u);
  EXPECT_EQ(w.pool->stats().tls_full, 1u);
  EXPECT_EQ(w.pool->stats().tls_resumed, 2u);
  const auto& recs = w.pool->records();
  EXPECT_FALSE(recs[0].tls_resumed);
  EXPECT_TRUE(recs[1].tls_resumed);
  EXPECT_TRUE(recs[2].tls_resumed);
  for (const FetchRecord& r : recs)
    EXPECT_EQ(r.status, 200) << r.error;
}

TEST(ConnectionPool, SelfSignedRefusedWhenVerifying) {
  World w(PoolConfig{}, tls_server(), 443);
  w.base = "https://10.0.0.2";
  w.origin = w.url("/");
  w.pool->fetch(w.url("/"));
  ASSERT_TRUE(w.run());
  const FetchRecord& r = w.pool->records().at(0);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("certificate"), std::string::npos) << r.error;
}

TEST(FetchUrl, ParsesAndResolves) {
  std::string err;
  auto u = parse_fetch_url("http://10.0.0.2:8080/a/b.html?x=1#frag", &err);
  ASSERT_TRUE(u) << err;
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->target, "/a/b.html?x=1");
  EXPECT_EQ(u->host_header(), "10.0.0.2:8080");
  EXPECT_EQ(parse_fetch_url("https://10.0.0.2", nullptr)->port, 443);
  EXPECT_EQ(parse_fetch_url("https://10.0.0.2", nullptr)->target, "/");
  EXPECT_FALSE(parse_fetch_url("ftp://10.0.0.2/", &err));
  EXPECT_NE(err.find("unsupported scheme 'ftp'"), std::string::npos);
  EXPECT_FALSE(parse_fetch_url("http://example.com/", &err));
  EXPECT_NE(err.find("not an IPv4 address"), std::string::npos);
  EXPECT_FALSE(parse_fetch_url("http://10.0.0.2:0/", &err));
  EXPECT_FALSE(parse_fetch_url("http://10.0.0.2:65536/", &err));
  EXPECT_FALSE(parse_fetch_url("http://127.0.0.1/", &err));
  EXPECT_FALSE(parse_fetch_url("10.0.0.2/", &err));
  EXPECT_EQ(resolve_reference(*u, "c.png")->text(), "http://10.0.0.2:8080/a/c.png");
  EXPECT_EQ(resolve_reference(*u, "../img/01.svg")->text(), "http://10.0.0.2:8080/img/01.svg");
  EXPECT_EQ(resolve_reference(*u, "/s.css")->text(), "http://10.0.0.2:8080/s.css");
  EXPECT_EQ(resolve_reference(*u, "//10.0.0.3/x")->text(), "http://10.0.0.3:80/x");
  EXPECT_EQ(resolve_reference(*u, "https://10.0.0.4/y")->text(), "https://10.0.0.4:443/y");
  EXPECT_FALSE(resolve_reference(*u, "data:image/png;base64,AAAA"));
  EXPECT_FALSE(resolve_reference(*u, "#top"));
  EXPECT_FALSE(resolve_reference(*u, "mailto:a@b"));
}

TEST(FetchUrl, HostNamesOnlyWhenAskedFor) {
  std::string err;
  EXPECT_FALSE(parse_fetch_url("https://Members.Example.test/nic/update", &err));
  auto n = parse_fetch_url("https://Members.Example.test./nic/update", &err, true);
  ASSERT_TRUE(n) << err;
  EXPECT_EQ(n->name, "members.example.test");
  EXPECT_TRUE(n->host.is_unspecified());  // the caller resolves it
  EXPECT_EQ(n->host_header(), "members.example.test");
  EXPECT_EQ(n->tls_name(), "members.example.test");
  EXPECT_EQ(n->text(), "https://members.example.test:443/nic/update");
  EXPECT_EQ(parse_fetch_url("http://dyn.test:8245/", &err, true)->host_header(), "dyn.test:8245");
  // An address stays an address (TLS then checks the certificate's IP).
  auto a = parse_fetch_url("https://10.0.0.2/", &err, true);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->name.empty());
  EXPECT_EQ(a->tls_name(), "10.0.0.2");
  for (const char* bad : {"http://-dyn.test/", "http://dyn-.test/", "http://dyn..test/",
                          "http://dyn_x.test/", "http://1.2.3/", "http://a b/"})
    EXPECT_FALSE(parse_fetch_url(bad, &err, true)) << bad;
}

TEST(ConnectionPool, NamedHostIsFetchedAtItsResolvedAddressOnly) {
  World w(PoolConfig{});
  auto unresolved = *parse_fetch_url("http://www.example.test/index.html", nullptr, true);
  w.pool->fetch(unresolved);
  auto resolved = unresolved;
  resolved.host = wire::Ipv4Address(10, 0, 0, 2);
  w.pool->fetch(resolved);
  ASSERT_TRUE(w.run());
  const auto& recs = w.pool->records();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].error, "the host name www.example.test was not resolved");
  EXPECT_EQ(recs[1].status, 200);
  EXPECT_EQ(recs[1].error, "");
}

TEST(ConnectionPool, H2GoawayAfterTenRetriesTheRestOnNewConnections) {
  // The server ends each h2c connection with GOAWAY after 10 requests (as
  // nginx's keepalive_requests): the streams above its last-stream-id are
  // refused (RFC 9113 §6.8) and sent again on a new connection.
  PoolConfig cfg;
  cfg.protocol = ClientProtocol::Http2;
  HttpServerConfig server_cfg;
  server_cfg.http1.max_requests = 10;
  World w(cfg, server_cfg);
  w.fetch_page();
  ASSERT_TRUE(w.run());
  for (const FetchRecord& r : w.pool->records()) {
    EXPECT_EQ(r.status, 200) << r.url.text() << " " << r.error;
    EXPECT_EQ(r.protocol, "h2c");
  }
  EXPECT_EQ(w.pool->stats().connections_opened, 4u);
  EXPECT_LE(w.max_open_seen, 2u);  // at most the draining one and its successor
  EXPECT_EQ(w.pool->stats().retries, 22u + 12u + 2u);
  EXPECT_EQ(w.pool->records()[31].retries, 3);
  EXPECT_EQ(w.pool->records()[31].connection, 4u);
  w.pool->close_all();
  w.sim.run_for(3s);
  w.http->tick();
  auto conns = w.http->connections();
  ASSERT_EQ(conns.size(), 4u);
  EXPECT_EQ(conns[0].requests, 10u);
  EXPECT_EQ(conns[3].requests, 2u);
}

namespace {
// A server whose keep-alive connections die as the second request arrives
// (its idle timer fired just then): the first request on each connection
// is answered, and the connection is closed without an answer when more
// bytes come.
struct RacingServer {
  explicit RacingServer(socket::Stack& s) : l(std::move(*s.listen(81))) {
    l.on_acceptable([this] {
      while (auto a = l.accept()) {
        conns.emplace_back();
        Peer& p = conns.back();
        p.s = std::move(*a);
        p.s.on_event([&p] { serve(p); });
      }
    });
  }
  struct Peer {
    socket::TcpStream s;
    std::string in;
    bool answered = false;
  };
  static void serve(Peer& p) {
    std::uint8_t buf[4096];
    while (std::size_t n = p.s.read(buf))
      p.in.append(reinterpret_cast<const char*>(buf), n);
    std::size_t end = p.in.find("\r\n\r\n");
    if (!p.answered && end != std::string::npos) {
      p.answered = true;
      p.s.write(std::string_view("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
      p.in.erase(0, end + 4);
    }
    if (p.answered && !p.in.empty() && !p.s.closed()) p.s.close();
  }
  socket::TcpListener l;
  std::list<Peer> conns;
};
}  // namespace

TEST(ConnectionPool, Http11RequestOnAReusedConnectionThatClosedIsRetriedOnce) {
  PoolConfig cfg;
  cfg.max_per_host = 1;
  World w(cfg);
  RacingServer racer(w.server);
  for (const char* p : {"/a", "/b", "/c"})
    w.pool->fetch(*parse_fetch_url(std::string("http://10.0.0.2:81") + p, nullptr));
  ASSERT_TRUE(w.run());
  const auto& rec = w.pool->records();
  for (const FetchRecord& r : rec) {
    EXPECT_EQ(r.status, 200) << r.url.text() << " " << r.error;
    EXPECT_EQ(r.response.body, "ok");
  }
  // /b went out on /a's connection, which died: sent again, on a new one.
  EXPECT_EQ(rec[0].retries, 0);
  EXPECT_EQ(rec[1].retries, 1);
  EXPECT_EQ(rec[1].retry_reason, "connection closed before the response");
  EXPECT_FALSE(rec[1].reused);
  EXPECT_EQ(rec[1].connection, 2u);
  EXPECT_EQ(rec[2].retries, 1);
  EXPECT_EQ(rec[2].connection, 3u);
  EXPECT_EQ(w.pool->stats().connections_opened, 3u);
  EXPECT_EQ(w.pool->stats().retries, 2u);
}

TEST(ConnectionPool, TimeoutGivesUpASilentServerAndAnUnansweredConnect) {
  PoolConfig cfg;
  cfg.timeout = 2s;
  World w(cfg);
  // Port 82 accepts and never answers.
  socket::TcpListener silent = std::move(*w.server.listen(82));
  std::list<socket::TcpStream> held;
  silent.on_acceptable([&] {
    while (auto s = silent.accept())
      held.push_back(std::move(*s));
  });
  w.pool->fetch(*parse_fetch_url("http://10.0.0.2:82/x", nullptr));
  w.pool->fetch(*parse_fetch_url("http://10.0.0.9/x", nullptr));  // nobody there
  Instant start = w.sim.now();
  ASSERT_TRUE(w.run(10s));
  const auto& rec = w.pool->records();
  EXPECT_EQ(rec[0].status, 0);
  EXPECT_EQ(rec[0].error, "response timed out (nothing for 2000 ms)");
  EXPECT_EQ(rec[1].status, 0);
  EXPECT_EQ(rec[1].error, "connect timed out (nothing for 2000 ms)");
  EXPECT_EQ(w.pool->stats().timeouts, 2u);
  EXPECT_LT(w.sim.now() - start, 2100ms);
}
