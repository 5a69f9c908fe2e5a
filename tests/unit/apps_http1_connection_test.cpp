// The HTTP/1.x server connection, sans-IO: exact response bytes for
// keep-alive and close, pipelining, limits, chunked bodies, HEAD, ETag,
// Range and the idle timeout on the virtual clock.
#include <gtest/gtest.h>

#include <string>

#include "apps/http/http1_connection.hpp"
#include "apps/http/static_file_handler.hpp"

using namespace synack;
using namespace synack::apps::http;
using namespace std::chrono_literals;

namespace {

const Instant T0 = instant_from_us(1'000'000);

MemorySource& files() {
  static MemorySource s = [] {
    MemorySource m;
    m.add("/index.html", "<p>hi</p>\n");                      // 10 bytes
    m.add("/a.txt", "0123456789abcdefghijklmnopqrstuvwxyz");  // 36 bytes
    m.add("/img/x.svg", "<svg/>");
    return m;
  }();
  return s;
}

// Static files, plus POST /echo answering with the body it got.
Handler test_handler() {
  return [](const Request& r) {
    if (r.method == "POST" && r.path() == "/echo") {
      Response resp;
      resp.set("Content-Type", "text/plain");
      resp.body = r.body;
      return resp;
    }
    return StaticFileHandler(files())(r);
  };
}

struct Conn {
  explicit Conn(Http1Config cfg = {}) : c(test_handler(), cfg, T0) {}
  // Feeds `in`, returns (and marks sent) everything written.
  std::string exchange(std::string_view in, Instant now = T0) {
    c.receive(in, now);
    return drain(now);
  }
  std::string drain(Instant now = T0) {
    std::string out(c.pending_output());
    c.consume_output(out.size(), now);
    return out;
  }
  Http1Connection c;
};

const std::string kIndex200 =
    "HTTP/1.1 200 OK\r\nServer: synack\r\nContent-Type: text/html; charset=utf-8\r\n"
    "ETag: \"" +
    std::string(entity_tag("<p>hi</p>\n").substr(1, 16)) +
    "\"\r\nAccept-Ranges: bytes\r\nContent-Length: 10\r\n\r\n<p>hi</p>\n";

std::string with_close(std::string resp) {
  // The same response with `Connection: close` before Content-Length.
  auto at = resp.find("Content-Length");
  resp.insert(at, "Connection: close\r\n");
  return resp;
}

int count(const std::string& s, std::string_view what) {
  int n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1))
    ++n;
  return n;
}

}  // namespace

TEST(Http1Connection, Http11KeepsAliveByDefault) {
  Conn k;
  EXPECT_EQ(k.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), kIndex200);
  EXPECT_FALSE(k.c.closing());
  EXPECT_EQ(k.exchange("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n"), kIndex200);
  EXPECT_EQ(k.c.counters().requests, 2u);
  EXPECT_FALSE(k.c.finished());
}

TEST(Http1Connection, ConnectionCloseStopsAfterTheAnswer) {
  Conn k;
  // RFC 9112 §9.6: the pipelined request after the close is never answered.
  std::string out = k.exchange(
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
      "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(out, with_close(kIndex200));
  EXPECT_TRUE(k.c.finished());
  EXPECT_EQ(k.c.counters().requests, 1u);
  EXPECT_EQ(k.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "");
}

TEST(Http1Connection, Http10ClosesUnlessKeepAlive) {
  Conn a;
  EXPECT_EQ(a.exchange("GET / HTTP/1.0\r\n\r\n"), with_close(kIndex200));
  EXPECT_TRUE(a.c.finished());
  EXPECT_EQ(a.c.counters().highest_minor, 0);

  Conn b;
  std::string want = kIndex200;
  want.insert(want.find("Content-Length"), "Connection: keep-alive\r\n");
  EXPECT_EQ(b.exchange("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), want);
  EXPECT_FALSE(b.c.closing());
  EXPECT_EQ(b.exchange("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), want);
}

TEST(Http1Connection, PipelinedRequestsAnsweredInOrder) {
  Conn k;
  std::string in;
  for (const char* p : {"/a.txt", "/", "/img/x.svg", "/missing", "/a.txt"})
    in += std::string("GET ") + p + " HTTP/1.1\r\nHost: x\r\n\r\n";
  // Byte by byte: pieces of requests must not matter.
  std::string out;
  for (char ch : in)
    out += k.exchange(std::string_view(&ch, 1));
  EXPECT_EQ(k.c.counters().requests, 5u);
  std::size_t a = out.find("0123456789");
  std::size_t b = out.find("<p>hi</p>");
  std::size_t c = out.find("<svg/>");
  std::size_t d = out.find("404 Not Found");
  std::size_t e = out.find("0123456789", a + 1);
  ASSERT_NE(e, std::string::npos);
  EXPECT_TRUE(a < b && b < c && c < d && d < e) << out;
  EXPECT_EQ(count(out, "HTTP/1.1 "), 5);
}

TEST(Http1Connection, MaxRequestsClosesAfterTheLast) {
  Http1Config cfg;
  cfg.max_requests = 3;
  Conn k(cfg);
  std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(k.exchange(req), kIndex200);
  EXPECT_EQ(k.exchange(req), kIndex200);
  EXPECT_EQ(k.exchange(req + req), with_close(kIndex200));
  EXPECT_TRUE(k.c.finished());
  EXPECT_EQ(k.c.counters().requests, 3u);
}

TEST(Http1Connection, HeaderTooBigIs431) {
  Http1Config cfg;
  cfg.limits.max_header_bytes = 200;
  Conn k(cfg);
  std::string out =
      k.exchange("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(300, 'a') + "\r\n\r\n");
  EXPECT_EQ(out,
            "HTTP/1.1 431 Request Header Fields Too Large\r\nServer: synack\r\n"
            "Content-Type: text/plain\r\nConnection: close\r\nContent-Length: 36\r\n\r\n"
            "431 Request Header Fields Too Large\n");
  EXPECT_TRUE(k.c.finished());
  EXPECT_EQ(k.c.counters().errors, 1u);
}

TEST(Http1Connection, BodyTooBigIs413BeforeReadingIt) {
  Http1Config cfg;
  cfg.limits.max_body_bytes = 100;
  Conn k(cfg);
  std::string out = k.exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n");
  EXPECT_EQ(out.substr(0, out.find("\r\n")), "HTTP/1.1 413 Content Too Large");
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(k.c.finished());
}

TEST(Http1Connection, ChunkedBodyTooBigIs413) {
  Http1Config cfg;
  cfg.limits.max_body_bytes = 10;
  Conn k(cfg);
  std::string out = k.exchange(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "8\r\n01234567\r\n8\r\n89abcdef\r\n0\r\n\r\n");
  EXPECT_EQ(out.substr(0, out.find("\r\n")), "HTTP/1.1 413 Content Too Large");
}

TEST(Http1Connection, ChunkedRequestBody) {
  Conn k;
  std::string out = k.exchange(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\n");
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nServer: synack\r\nContent-Type: text/plain\r\n"
            "Content-Length: 12\r\n\r\nhello, world");
}

TEST(Http1Connection, ChunkedResponseTo11JoinedFor10) {
  Handler h = [](const Request&) {
    Response r;
    r.chunked = true;
    r.chunks = {"abc", "", "defgh"};
    return r;
  };
  Http1Connection c11(h, {}, T0);
  c11.receive("GET / HTTP/1.1\r\nHost: x\r\n\r\n", T0);
  EXPECT_EQ(c11.pending_output(),
            "HTTP/1.1 200 OK\r\nServer: synack\r\nTransfer-Encoding: chunked\r\n\r\n"
            "3\r\nabc\r\n5\r\ndefgh\r\n0\r\n\r\n");
  Http1Connection c10(h, {}, T0);
  c10.receive("GET / HTTP/1.0\r\n\r\n", T0);
  EXPECT_EQ(c10.pending_output(),
            "HTTP/1.1 200 OK\r\nServer: synack\r\nConnection: close\r\n"
            "Content-Length: 8\r\n\r\nabcdefgh");
}

TEST(Http1Connection, ExpectContinue) {
  Conn k;
  EXPECT_EQ(k.exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                       "Expect: 100-continue\r\n\r\n"),
            "HTTP/1.1 100 Continue\r\n\r\n");
  std::string out = k.exchange("abc");
  EXPECT_EQ(out.substr(out.size() - 3), "abc");
  EXPECT_EQ(out.substr(0, 15), "HTTP/1.1 200 OK");
}

TEST(Http1Connection, HeadSendsFieldsOnly) {
  Conn k;
  std::string want = kIndex200.substr(0, kIndex200.size() - 10);
  EXPECT_EQ(k.exchange("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"), want);
  // The connection stays in step: the next response is whole.
  EXPECT_EQ(k.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), kIndex200);
}

TEST(Http1Connection, IfNoneMatchIs304) {
  Conn k;
  std::string tag = entity_tag("<p>hi</p>\n");
  EXPECT_EQ(k.exchange("GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"zz\", W/" + tag + "\r\n\r\n"),
            "HTTP/1.1 304 Not Modified\r\nServer: synack\r\nETag: " + tag + "\r\n\r\n");
  EXPECT_EQ(k.exchange("GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"other\"\r\n\r\n"), kIndex200);
}

TEST(Http1Connection, RangeIs206Or416) {
  Conn k;
  std::string out = k.exchange("GET /a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=10-15\r\n\r\n");
  EXPECT_EQ(out.substr(0, out.find("\r\n")), "HTTP/1.1 206 Partial Content");
  EXPECT_NE(out.find("Content-Range: bytes 10-15/36\r\n"), std::string::npos);
  EXPECT_EQ(out.substr(out.size() - 27), "Content-Length: 6\r\n\r\nabcdef");

  out = k.exchange("GET /a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=-4\r\n\r\n");
  EXPECT_EQ(out.substr(out.size() - 4), "wxyz");

  out = k.exchange("GET /a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=36-\r\n\r\n");
  EXPECT_EQ(out.substr(0, out.find("\r\n")), "HTTP/1.1 416 Range Not Satisfiable");
  EXPECT_NE(out.find("Content-Range: bytes */36\r\n"), std::string::npos);
  EXPECT_FALSE(k.c.closing());  // a 416 is a normal answer

  // Several ranges are ignored (RFC 9110 §14.2 allows it): the whole file.
  out = k.exchange("GET /a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1,4-5\r\n\r\n");
  EXPECT_EQ(out.substr(0, 15), "HTTP/1.1 200 OK");
}

TEST(Http1Connection, NotFoundMethodAndTraversal) {
  Conn k;
  EXPECT_EQ(k.exchange("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n").substr(0, 22),
            "HTTP/1.1 404 Not Found");
  EXPECT_EQ(k.exchange("GET /%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n").substr(0, 22),
            "HTTP/1.1 404 Not Found");
  std::string out = k.exchange("DELETE / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(out.substr(0, 31), "HTTP/1.1 405 Method Not Allowed");
  EXPECT_NE(out.find("Allow: GET, HEAD\r\n"), std::string::npos);
  EXPECT_EQ(k.c.counters().requests, 3u);
  EXPECT_FALSE(k.c.closing());
}

TEST(Http1Connection, MalformedIs400AndMissingHostToo) {
  Conn a;
  EXPECT_EQ(a.exchange("GET / HTTP/1.1\r\nBad Header\r\n\r\n").substr(0, 24),
            "HTTP/1.1 400 Bad Request");
  EXPECT_TRUE(a.c.finished());
  Conn b;
  EXPECT_EQ(b.exchange("GET / HTTP/1.1\r\n\r\n").substr(0, 24), "HTTP/1.1 400 Bad Request");
  EXPECT_TRUE(b.c.finished());
  Conn c;
  EXPECT_EQ(c.exchange("GET / HTTP/3.7\r\nHost: x\r\n\r\n").substr(0, 39),
            "HTTP/1.1 505 HTTP Version Not Supported");
}

TEST(Http1Connection, IdleTimeoutClosesSilently) {
  Http1Config cfg;
  cfg.idle_timeout = 5s;
  Conn k(cfg);
  k.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n", T0 + 1s);
  EXPECT_EQ(k.c.deadline(), T0 + 6s);
  k.c.on_timer(T0 + 6s - 1us);
  EXPECT_FALSE(k.c.closing());
  k.c.on_timer(T0 + 6s);
  EXPECT_TRUE(k.c.finished());
  EXPECT_EQ(k.drain(), "");
  EXPECT_EQ(k.c.counters().timeouts, 1u);
}

TEST(Http1Connection, TricklingRequestGets408) {
  Http1Config cfg;
  cfg.idle_timeout = 5s;
  Conn k(cfg);
  // One byte a second never extends the deadline (slowloris).
  std::string req = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(k.exchange(req.substr(i, 1), T0 + std::chrono::seconds(i)), "");
  EXPECT_EQ(k.c.deadline(), T0 + 5s);
  k.c.on_timer(T0 + 5s);
  EXPECT_EQ(k.drain().substr(0, 28), "HTTP/1.1 408 Request Timeout");
  EXPECT_TRUE(k.c.finished());
}

TEST(Http1Connection, PeerFinAnswersWhatArrivedThenCloses) {
  Conn k;
  k.c.receive("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", T0);
  k.c.receive_eof(T0);
  std::string out = k.drain();
  EXPECT_EQ(count(out, "HTTP/1.1 200"), 2);
  EXPECT_TRUE(k.c.finished());
}

TEST(Http1Connection, BacklogPausesParsing) {
  Http1Config cfg;
  cfg.max_output_backlog = 50;
  Conn k(cfg);
  std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  k.c.receive(req + req + req, T0);
  // One response (> 50 bytes) is waiting: the next requests are not parsed.
  EXPECT_EQ(k.c.counters().requests, 1u);
  EXPECT_EQ(k.drain(), kIndex200);  // consuming resumes parsing
  EXPECT_EQ(k.c.counters().requests, 2u);
  k.drain();
  EXPECT_EQ(k.c.counters().requests, 3u);
}

TEST(Http1Connection, UpgradeNotTakenStaysHttp11) {
  // Without allow_h2c_upgrade the Upgrade is ignored (RFC 9110 §7.8) and the
  // pipelined request after it is still answered.
  Conn k;
  std::string up =
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
      "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n";
  std::string out = k.exchange(up + "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(count(out, "HTTP/1.1 200 OK"), 2);
  EXPECT_EQ(k.c.counters().requests, 2u);
}

TEST(Http1Connection, H2cUpgradeAnswers101AndHandsOver) {
  Http1Config cfg;
  cfg.allow_h2c_upgrade = true;
  Conn k(cfg);
  k.c.receive(
      "GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
      "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\nPRI * HTTP/2.0",
      T0);
  EXPECT_FALSE(k.c.upgrade_ready());  // the 101 is not sent yet
  EXPECT_EQ(k.drain(),
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n");
  ASSERT_TRUE(k.c.upgrade_ready());
  auto u = k.c.take_upgrade();
  EXPECT_EQ(u.request.target, "/a.txt");
  EXPECT_EQ(u.settings, "AAMAAABkAARAAAAAAAIAAAAA");
  EXPECT_EQ(u.rest, "PRI * HTTP/2.0");
  EXPECT_EQ(k.c.counters().requests, 0u);  // answered by HTTP/2 on stream 1
}
