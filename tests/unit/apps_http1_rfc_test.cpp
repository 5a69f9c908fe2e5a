// HTTP/1.1 server connection against RFC 9110 / 9112, exact bytes: Date on
// every response (§6.6.1), HTTP/1.0 with Transfer-Encoding closes (RFC 9112
// §6.1), absolute-form targets (§3.2.2), HEAD ignores Range (RFC 9110
// §14.2) and gets no content even in an error, If-Match's 412 (§13.1.1),
// 501 for unknown methods and codings, 301 for a directory without its
// slash, and a client that stops reading is reset after the timeout.
#include <gtest/gtest.h>

#include <string>

#include "apps/http/http1_connection.hpp"
#include "apps/http/http_date.hpp"
#include "apps/http/static_file_handler.hpp"

using namespace synack;
using namespace synack::apps::http;
using namespace std::chrono_literals;

namespace {

const Instant T0 = instant_from_us(1'000'000);
const std::string kA = "0123456789abcdefghijklmnopqrstuvwxyz";  // 36 bytes

MemorySource& files() {
  static MemorySource s = [] {
    MemorySource m;
    m.add("/a.txt", kA);
    m.add("/sub/index.html", "<p>sub</p>");
    std::string big;
    for (int i = 0; i < 3'000'000; ++i)
      big += static_cast<char>('a' + i % 26);
    m.add("/big.bin", big);
    return m;
  }();
  return s;
}

Handler handler() {
  return [](const Request& r) {
    if (r.method == "POST" && r.path() == "/echo") {
      Response resp;
      resp.body = r.body;
      return resp;
    }
    return StaticFileHandler(files())(r);
  };
}

struct Conn {
  explicit Conn(Http1Config cfg = {}) : c(handler(), cfg, T0) {}
  std::string exchange(std::string_view in, Instant now = T0) {
    c.receive(in, now);
    return drain(now);
  }
  std::string drain(Instant now = T0) {
    std::string all;
    while (!c.pending_output().empty()) {
      std::string out(c.pending_output());
      c.consume_output(out.size(), now);
      all += out;
    }
    return all;
  }
  Http1Connection c;
};

std::string status_line(const std::string& r) {
  return r.substr(0, r.find("\r\n"));
}

const std::string kTagA = entity_tag(kA);

}  // namespace

TEST(HttpDate, ImfFixdate) {
  EXPECT_EQ(imf_fixdate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(imf_fixdate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110 §5.6.7
  EXPECT_EQ(imf_fixdate(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(imf_fixdate(1709164800), "Thu, 29 Feb 2024 00:00:00 GMT");
  EXPECT_EQ(imf_fixdate(4102444799), "Thu, 31 Dec 2099 23:59:59 GMT");
  HttpDate d;
  EXPECT_EQ(d.value(), "");  // no clock, no Date
  d.set(784111777);
  EXPECT_EQ(d.value(), "Sun, 06 Nov 1994 08:49:37 GMT");
  d.set(784111778);
  EXPECT_EQ(d.value(), "Sun, 06 Nov 1994 08:49:38 GMT");
}

TEST(Http1Rfc, DateOnEveryResponse) {
  HttpDate date;
  date.set(784111777);
  Http1Config cfg;
  cfg.date = &date;
  Conn k(cfg);
  EXPECT_EQ(k.exchange("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n"),
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nServer: synack\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nETag: " +
                kTagA + "\r\nAccept-Ranges: bytes\r\nContent-Length: 36\r\n\r\n" + kA);
  // §15.4.5: the 304 carries Date too; and so do errors.
  EXPECT_EQ(k.exchange("GET /a.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: " + kTagA + "\r\n\r\n"),
            "HTTP/1.1 304 Not Modified\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Server: synack\r\nETag: " +
                kTagA + "\r\n\r\n");
  date.set(784111778);
  EXPECT_EQ(status_line(k.exchange("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")),
            "HTTP/1.1 404 Not Found");
  std::string bad = k.exchange("GET / HTTP/1.1\r\n\r\n");  // no Host: 400
  EXPECT_EQ(bad.substr(0, bad.find("Server:")),
            "HTTP/1.1 400 Bad Request\r\nDate: Sun, 06 Nov 1994 08:49:38 GMT\r\n");
}

TEST(Http1Rfc, Http10WithTransferEncodingClosesAfterTheAnswer) {
  Conn k;
  std::string out = k.exchange(
      "POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nServer: synack\r\nConnection: close\r\n"
            "Content-Length: 5\r\n\r\nhello");
  EXPECT_TRUE(k.c.finished());
  // Without Transfer-Encoding the same 1.0 request keeps the connection.
  Conn k2;
  out = k2.exchange(
      "POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_NE(out.find("Connection: keep-alive\r\n"), std::string::npos);
  EXPECT_FALSE(k2.c.closing());
}

TEST(Http1Rfc, AbsoluteFormTargetIsServed) {
  Conn k;
  std::string out = k.exchange("GET http://x/a.txt?q=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_line(out), "HTTP/1.1 200 OK");
  EXPECT_EQ(out.substr(out.size() - 36), kA);
  out = k.exchange("GET http://x HTTP/1.1\r\nHost: x\r\n\r\n");  // no path: "/"
  EXPECT_EQ(status_line(out), "HTTP/1.1 404 Not Found");         // (no /index.html here)
  out = k.exchange("GET http://x/sub/ HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(out.substr(out.size() - 10), "<p>sub</p>");
}

TEST(Http1Rfc, HeadIgnoresRange) {
  Conn k;
  const std::string whole =
      "HTTP/1.1 200 OK\r\nServer: synack\r\n"
      "Content-Type: text/plain; charset=utf-8\r\nETag: " +
      kTagA + "\r\nAccept-Ranges: bytes\r\nContent-Length: 36\r\n\r\n";
  EXPECT_EQ(k.exchange("HEAD /a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=10-19\r\n\r\n"), whole);
  EXPECT_EQ(k.exchange("HEAD /a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=200-\r\n\r\n"), whole);
  // GET still honours it.
  EXPECT_EQ(status_line(k.exchange("GET /a.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=10-19\r\n\r\n")),
            "HTTP/1.1 206 Partial Content");
}

TEST(Http1Rfc, IfMatchFailsWith412) {
  Conn k;
  std::string out = k.exchange("GET /a.txt HTTP/1.1\r\nHost: x\r\nIf-Match: \"nomatch\"\r\n\r\n");
  EXPECT_EQ(status_line(out), "HTTP/1.1 412 Precondition Failed");
  EXPECT_EQ(out.find(kA), std::string::npos);
  // A weak tag never matches strongly (§8.8.3.2).
  out = k.exchange("GET /a.txt HTTP/1.1\r\nHost: x\r\nIf-Match: W/" + kTagA + "\r\n\r\n");
  EXPECT_EQ(status_line(out), "HTTP/1.1 412 Precondition Failed");
  out = k.exchange("GET /a.txt HTTP/1.1\r\nHost: x\r\nIf-Match: \"x\", " + kTagA + "\r\n\r\n");
  EXPECT_EQ(status_line(out), "HTTP/1.1 200 OK");
  out = k.exchange("GET /a.txt HTTP/1.1\r\nHost: x\r\nIf-Match: *\r\n\r\n");
  EXPECT_EQ(status_line(out), "HTTP/1.1 200 OK");
  // Before Range: a failed If-Match with a Range is 412, not 206.
  out =
      k.exchange("GET /a.txt HTTP/1.1\r\nHost: x\r\nIf-Match: \"old\"\r\nRange: bytes=0-1\r\n\r\n");
  EXPECT_EQ(status_line(out), "HTTP/1.1 412 Precondition Failed");
  EXPECT_FALSE(k.c.closing());
}

TEST(Http1Rfc, NoContentInAnyAnswerToHead) {
  Conn k;
  EXPECT_EQ(k.exchange("HEAD / HTTP/1.1\r\n\r\n"),  // no Host: 400, fields only
            "HTTP/1.1 400 Bad Request\r\nServer: synack\r\nContent-Type: text/plain\r\n"
            "Connection: close\r\nContent-Length: 16\r\n\r\n");
  Conn k2;
  EXPECT_EQ(k2.exchange("HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\n"),
            "HTTP/1.1 404 Not Found\r\nServer: synack\r\nContent-Type: text/plain\r\n"
            "Content-Length: 14\r\n\r\n");
}

TEST(Http1Rfc, UnknownMethodAndCodingAre501) {
  Conn k;
  std::string out = k.exchange("FOO / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_line(out), "HTTP/1.1 501 Not Implemented");
  EXPECT_TRUE(k.c.finished());
  Conn k2;
  out = k2.exchange(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
      "5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(status_line(out), "HTTP/1.1 501 Not Implemented");
  EXPECT_EQ(out.find("hello"), std::string::npos);
  // A known method the handler does not serve stays 405; garbage stays 400.
  Conn k3;
  EXPECT_EQ(status_line(k3.exchange("DELETE /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")),
            "HTTP/1.1 405 Method Not Allowed");
  Conn k4;
  EXPECT_EQ(status_line(k4.exchange("G(T / HTTP/1.1\r\nHost: x\r\n\r\n")),
            "HTTP/1.1 400 Bad Request");
  Conn k5;  // HTTP/2.0 has no request line of this form (RFC 9112 §2.3)
  EXPECT_EQ(status_line(k5.exchange("GET / HTTP/2.0\r\nHost: x\r\n\r\n")),
            "HTTP/1.1 505 HTTP Version Not Supported");
}

TEST(Http1Rfc, DirectoryWithoutSlashIs301) {
  Conn k;
  std::string out = k.exchange("GET /sub?x=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_line(out), "HTTP/1.1 301 Moved Permanently");
  EXPECT_NE(out.find("\r\nLocation: /sub/?x=1\r\n"), std::string::npos);
  out = k.exchange("GET /sub/ HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(out.find("Content-Type: text/html; charset=utf-8\r\n"), std::string::npos);
}

TEST(Http1Rfc, ClientThatStopsReadingIsResetAfterTheTimeout) {
  Http1Config cfg;
  cfg.idle_timeout = 5s;
  Conn k(cfg);
  k.c.receive("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n", T0);
  // The 3 MB file is read as it is sent: little of it waits at a time.
  EXPECT_LT(k.c.pending_output().size(), 512u * 1024);
  // The client takes 100 KB at 4 s: progress, the clock starts again.
  k.c.consume_output(100'000, T0 + 4s);
  k.c.on_timer(T0 + 5s);
  EXPECT_FALSE(k.c.finished());
  EXPECT_EQ(k.c.deadline(), T0 + 9s);
  // Then nothing: at 9 s the connection is given up and reset.
  k.c.on_timer(T0 + 9s);
  EXPECT_TRUE(k.c.finished());
  EXPECT_TRUE(k.c.aborted());
  EXPECT_EQ(k.c.counters().stalls, 1u);
  EXPECT_EQ(k.c.errors(), 1u);
}

TEST(Http1Rfc, LargeFileStreamsWhole) {
  Conn k;
  std::string out = k.exchange("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string body = out.substr(out.find("\r\n\r\n") + 4);
  EXPECT_EQ(body, files().load("/big.bin")->content());
  EXPECT_NE(out.find("Content-Length: 3000000\r\n"), std::string::npos);
  // The next pipelined answer comes after all of it.
  out =
      k.exchange("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(out.find("HTTP/1.1 200 OK", 1), out.find("\r\n\r\n") + 4 + body.size());
  EXPECT_EQ(out.substr(out.size() - 36), kA);
}

TEST(Http1Rfc, TimeoutIsOneError) {
  Http1Config cfg;
  cfg.idle_timeout = 5s;
  Conn k(cfg);
  k.exchange("GET / HTTP/1.1\r\n", T0);
  k.c.on_timer(T0 + 5s);
  EXPECT_EQ(status_line(k.drain(T0 + 5s)), "HTTP/1.1 408 Request Timeout");
  EXPECT_EQ(k.c.errors(), 1u);
}

TEST(Http1Rfc, H2cUpgradeWithUndecodableSettingsStaysHttp11) {
  // RFC 7540 §3.2.1: HTTP2-Settings is base64url SETTINGS; "!!!" is not,
  // so the Upgrade is ignored (RFC 9110 §7.8) instead of a 101 and a GOAWAY.
  Http1Config cfg;
  cfg.allow_h2c_upgrade = true;
  Conn k(cfg);
  std::string out = k.exchange(
      "GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
      "Upgrade: h2c\r\nHTTP2-Settings: !!!\r\n\r\n");
  EXPECT_EQ(status_line(out), "HTTP/1.1 200 OK");
  EXPECT_EQ(out.substr(out.size() - 36), kA);
  EXPECT_FALSE(k.c.upgrade_ready());
}

TEST(Http1Rfc, Http09RequestLineIs505AtOnce) {
  Conn k;
  EXPECT_EQ(status_line(k.exchange("GET /\r\n")), "HTTP/1.1 505 HTTP Version Not Supported");
  EXPECT_TRUE(k.c.finished());
  Conn k2;  // in pieces, the same
  k2.exchange("GET /");
  EXPECT_EQ(status_line(k2.exchange("\r\n")), "HTTP/1.1 505 HTTP Version Not Supported");
}
