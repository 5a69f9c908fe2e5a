// The HTTP/2 server session's bounds, sans-IO against an nghttp2 client:
// a stalled stream ends the connection with GOAWAY (the window held at 0,
// a request never ended), responses are streamed rather than held whole,
// SETTINGS_MAX_CONCURRENT_STREAMS refuses stream 101, --http-max-requests
// sends GOAWAY after N, and every response carries Date (RFC 9110 §6.6.1).
#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <fmt/format.h>

#include <memory>
#include <string>

#include "apps/http/h2_session.hpp"
#include "apps/http/http_date.hpp"
#include "apps/http/protocol_selector.hpp"
#include "apps/http/site_handler.hpp"
#include "unit/h2_test_client.hpp"

using namespace synack;
using namespace synack::apps::http;
using namespace synack::apps::http::test;
using namespace std::chrono_literals;

namespace {

const Instant T0 = instant_from_us(5'000'000);

std::shared_ptr<MemorySource> files() {
  static auto s = [] {
    auto m = std::make_shared<MemorySource>();
    m->add("/small.txt", "hello\n");
    std::string big;
    for (int i = 0; i < 1'000'000; ++i)
      big += static_cast<char>('a' + i % 26);
    m->add("/big.txt", big);
    return m;
  }();
  return s;
}

Http2Config config(Duration idle = 5s) {
  Http2Config c;
  c.idle_timeout = idle;
  return c;
}

struct Pair {
  explicit Pair(Http2Config cfg, std::vector<nghttp2_settings_entry> client_settings = {},
                bool auto_window = true, std::uint32_t assumed_max_streams = 100)
      : server(make_site_handler(files()), cfg, T0, false),
        client(std::move(client_settings), auto_window, assumed_max_streams) {}
  void run(Instant now = T0) {
    pump(
        server, [&] { return client.output(); }, [&](std::string_view b) { client.input(b); }, now);
  }
  H2Session server;
  H2Client client;
};

std::string field(const H2Client::Result& r, const std::string& name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return "";
}

}  // namespace

TEST(H2Limits, ZeroWindowStallEndsWithGoaway) {
  // The client's streams may receive nothing (INITIAL_WINDOW_SIZE 0): the
  // response cannot progress, and after the timeout the connection ends.
  Pair p(config(), {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0}});
  std::int32_t id = p.client.get("/big.txt");
  p.run();
  EXPECT_EQ(p.client.results[id].status, 200);
  EXPECT_EQ(p.client.results[id].body, "");
  EXPECT_EQ(p.server.open_streams(), 1u);
  EXPECT_EQ(p.server.deadline(), T0 + 5s);
  p.server.on_timer(T0 + 4s);  // early: nothing happens
  EXPECT_FALSE(p.client.goaway);
  p.server.on_timer(T0 + 5s);
  std::string out(p.server.pending_output());
  p.server.consume_output(out.size(), T0 + 5s);
  p.client.input(out);
  EXPECT_TRUE(p.client.goaway);
  EXPECT_EQ(p.client.goaway_error, 0u);
  EXPECT_EQ(p.client.goaway_last_id, id);
  EXPECT_TRUE(p.server.finished());
  EXPECT_FALSE(p.server.aborted());
  EXPECT_EQ(p.server.timeouts(), 1u);
  EXPECT_EQ(p.server.errors(), 1u);
}

TEST(H2Limits, RequestNeverEndedEndsWithGoaway) {
  // HEADERS without END_STREAM, then silence (HTTP/2's slowloris).
  Pair p(config());
  p.client.get("/small.txt", "GET", /*end=*/false);
  p.run();
  EXPECT_EQ(p.server.open_streams(), 1u);
  EXPECT_EQ(p.server.requests(), 0u);
  EXPECT_EQ(p.server.deadline(), T0 + 5s);
  p.server.on_timer(T0 + 5s);
  p.run(T0 + 5s);
  EXPECT_TRUE(p.client.goaway);
  EXPECT_TRUE(p.server.finished());
  EXPECT_EQ(p.server.timeouts(), 1u);
}

TEST(H2Limits, ProgressKeepsTheStreamAlive) {
  // The window opens a little every 4 s: DATA goes out, the deadline moves.
  Pair p(config(), {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0}}, /*auto_window=*/false);
  std::int32_t id = p.client.get("/small.txt");
  p.run();
  p.server.on_timer(T0 + 4s);
  nghttp2_submit_window_update(p.client.s, NGHTTP2_FLAG_NONE, id, 3);
  p.run(T0 + 4s);
  EXPECT_EQ(p.client.results[id].body, "hel");
  EXPECT_EQ(p.server.deadline(), T0 + 9s);
  nghttp2_submit_window_update(p.client.s, NGHTTP2_FLAG_NONE, id, 3);
  p.run(T0 + 8s);
  EXPECT_EQ(p.client.results[id].body, "hello\n");
  EXPECT_TRUE(p.client.results[id].closed);
  EXPECT_FALSE(p.client.goaway);
  EXPECT_EQ(p.server.timeouts(), 0u);
  EXPECT_EQ(p.server.deadline(), T0 + 8s + 5s);  // now the idle timeout
}

TEST(H2Limits, ResponsesAreStreamedNotHeldWhole) {
  // 100 streams of a 1 MB file, none of which may receive a byte: the
  // session holds no copy of the file per stream.
  Pair p(config(), {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0}});
  for (int i = 0; i < 100; ++i)
    p.client.get("/big.txt");
  p.run();
  EXPECT_EQ(p.server.open_streams(), 100u);
  EXPECT_LT(p.server.buffered_bytes(), 64u * 1024);
  // Then the window opens: every byte arrives, read from the source.
  Pair q(config());
  std::int32_t id = q.client.get("/big.txt");
  q.run();
  EXPECT_EQ(q.client.results[id].body, files()->load("/big.txt")->content());
}

TEST(H2Limits, StreamPastTheConcurrencyLimitIsRefused) {
  // The client sends 101 requests before it has the server's SETTINGS: the
  // 101st stream is refused (RFC 9113 §5.1.2), the rest answered.
  Pair p(config(), {}, true, /*assumed_max_streams=*/1000);
  std::vector<std::int32_t> ids;
  for (int i = 0; i < 101; ++i)
    ids.push_back(p.client.get("/small.txt"));
  p.run();
  int ok = 0, refused = 0;
  for (std::int32_t id : ids) {
    ok += p.client.results[id].status == 200;
    refused += p.client.results[id].close_error == NGHTTP2_REFUSED_STREAM;
  }
  EXPECT_EQ(ok, 100);
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(p.client.results[ids.back()].status, 0);
  EXPECT_EQ(p.server.requests(), 100u);
}

TEST(H2Limits, MaxRequestsSendsGoawayAfterN) {
  Http2Config cfg = config();
  cfg.max_requests = 10;
  Pair p(cfg);
  std::vector<std::int32_t> ids;
  for (int i = 0; i < 32; ++i)
    ids.push_back(p.client.get("/small.txt"));
  p.run();
  EXPECT_TRUE(p.client.goaway);
  EXPECT_EQ(p.client.goaway_error, 0u);
  EXPECT_EQ(p.client.goaway_last_id, ids[9]);
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ(p.client.results[ids[i]].status, i < 10 ? 200 : 0) << i;
    if (i >= 10) {  // the client's nghttp2 closes them as refused (§6.8)
      EXPECT_TRUE(p.client.results[ids[i]].closed) << i;
      EXPECT_EQ(p.client.results[ids[i]].close_error, NGHTTP2_REFUSED_STREAM) << i;
    }
  }
  EXPECT_EQ(p.server.requests(), 10u);
  EXPECT_TRUE(p.server.finished());
}

TEST(H2Limits, DateOnEveryResponse) {
  HttpDate date;
  date.set(784111777);
  Http2Config cfg = config();
  cfg.date = &date;
  Pair p(cfg);
  std::int32_t ok = p.client.get("/small.txt");
  std::int32_t missing = p.client.get("/nope");
  p.run();
  EXPECT_EQ(p.client.results[ok].status, 200);
  EXPECT_EQ(field(p.client.results[ok], "date"), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(p.client.results[missing].status, 404);
  EXPECT_EQ(field(p.client.results[missing], "date"), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(field(p.client.results[ok], "content-length"), "6");
}

TEST(ProtocolSelector, SilentPreconnectIsNoErrorButACutPrefaceIs) {
  auto make = [](HttpProtocol, Instant) -> std::unique_ptr<ProtocolSession> { return nullptr; };
  ProtocolSelector silent(make, T0, 5s);
  silent.on_timer(T0 + 5s);
  EXPECT_TRUE(silent.finished());
  EXPECT_EQ(silent.errors(), 0u);
  ProtocolSelector cut(make, T0, 5s);
  cut.receive("PRI * HTTP/2.0\r\n", T0);
  cut.on_timer(T0 + 5s);
  EXPECT_TRUE(cut.finished());
  EXPECT_EQ(cut.errors(), 1u);
}

TEST(H2Limits, RequestContentAcrossStreamsIsBounded) {
  // Two uploads of 80 KB against a 100 KB bound for the connection: one is
  // answered (POST /echo), the other reset with REFUSED_STREAM (retryable).
  Http2Config cfg = config();
  cfg.max_connection_body_bytes = 100 * 1024;
  Pair p(cfg);
  std::string a(80 * 1024, 'a'), b(80 * 1024, 'b');
  std::int32_t ia = p.client.post("/echo", a);
  std::int32_t ib = p.client.post("/echo", b);
  p.run();
  const auto& ra = p.client.results[ia];
  const auto& rb = p.client.results[ib];
  EXPECT_EQ((ra.status == 200) + (rb.status == 200), 1);
  EXPECT_EQ((ra.close_error == NGHTTP2_REFUSED_STREAM) + (rb.close_error == NGHTTP2_REFUSED_STREAM),
            1);
  EXPECT_EQ(ra.status == 200 ? ra.body : rb.body, ra.status == 200 ? a : b);
  EXPECT_EQ(p.server.requests(), 1u);
  EXPECT_EQ(p.server.open_streams(), 0u);
  // The bound frees as streams end: the refused one, sent again, passes.
  std::int32_t again = p.client.post("/echo", b);
  p.run();
  EXPECT_EQ(p.client.results[again].status, 200);
  EXPECT_EQ(p.client.results[again].body, b);
}
