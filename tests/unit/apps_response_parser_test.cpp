// The client side's response parsing, against what Http1Connection (the
// server side) sends and against hand-made responses: pipelined answers in
// order, HEAD, chunked, interim 100, close-delimited content, keep-alive.
#include <gtest/gtest.h>

#include <string>

#include "apps/http/http1_connection.hpp"
#include "apps/http/response_parser.hpp"
#include "apps/http/site_handler.hpp"

using namespace synack;
using namespace synack::apps::http;

namespace {

Handler handler() {
  static auto files = [] {
    auto m = std::make_shared<MemorySource>();
    m->add("/index.html", "<p>hi</p>\n");
    m->add("/a.txt", "0123456789");
    return m;
  }();
  return make_site_handler(files);
}

// Parses every response in `bytes`; `heads` says which answer HEAD.
std::vector<Response> parse_all(ResponseParser& p, std::string_view bytes,
                                std::vector<bool> heads = {}) {
  std::vector<Response> out;
  while (!bytes.empty()) {
    bool head = out.size() < heads.size() && heads[out.size()];
    auto o = p.parse(bytes, head);
    bytes.remove_prefix(o.consumed);
    if (o.status == ResponseParser::Status::Complete) {
      out.push_back(p.take());
      continue;
    }
    EXPECT_NE(o.status, ResponseParser::Status::Error);
    break;
  }
  return out;
}

}  // namespace

TEST(ResponseParser, PipelinedAnswersFromTheServerSide) {
  Http1Connection server(handler(), {}, Instant{});
  server.receive(
      "GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /nope HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\n"
      "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
      Instant{});
  std::string bytes(server.pending_output());
  ResponseParser p;
  // Byte by byte, to cross every boundary.
  std::vector<Response> got;
  std::vector<bool> heads = {false, true, false, false};
  std::string pending;
  for (char c : bytes) {
    pending += c;
    bool head = got.size() < heads.size() && heads[got.size()];
    auto o = p.parse(pending, head);
    pending.erase(0, o.consumed);
    ASSERT_NE(o.status, ResponseParser::Status::Error);
    if (o.status == ResponseParser::Status::Complete) got.push_back(p.take());
  }
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].status, 200);
  EXPECT_EQ(got[0].body, "0123456789");
  EXPECT_EQ(got[1].status, 200);
  EXPECT_EQ(got[1].body, "");  // HEAD: Content-Length 10, no content
  EXPECT_EQ(*find_field(got[1].headers, "content-length"), "10");
  EXPECT_EQ(got[2].status, 404);
  EXPECT_EQ(got[3].body, "abc");  // chunked, decoded
  EXPECT_FALSE(p.keep_alive());   // Connection: close
}

TEST(ResponseParser, InterimContinueIsSkipped) {
  ResponseParser p;
  auto r = parse_all(
      p, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].status, 201);
  EXPECT_EQ(r[0].body, "ok");
  EXPECT_TRUE(p.keep_alive());
}

TEST(ResponseParser, CloseDelimitedContentEndsAtFinish) {
  ResponseParser p;
  EXPECT_TRUE(parse_all(p, "HTTP/1.0 200 OK\r\n\r\nall of this").empty());
  EXPECT_TRUE(p.mid_response());
  EXPECT_EQ(p.finish(), ResponseParser::Status::Complete);
  Response r = p.take();
  EXPECT_EQ(r.body, "all of this");
  EXPECT_FALSE(p.keep_alive());
}

TEST(ResponseParser, TruncatedResponseIsAnError) {
  ResponseParser p;
  EXPECT_TRUE(parse_all(p, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort").empty());
  EXPECT_EQ(p.finish(), ResponseParser::Status::Error);
  ResponseParser q;
  EXPECT_EQ(q.finish(), ResponseParser::Status::NeedMore);  // closed between responses
}

TEST(ResponseParser, BodyLimitAndGarbage) {
  ResponseParser p(4);
  auto o = p.parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", false);
  EXPECT_EQ(o.status, ResponseParser::Status::Error);
  ResponseParser q;
  EXPECT_EQ(q.parse("SSH-2.0-OpenSSH\r\n", false).status, ResponseParser::Status::Error);
}
