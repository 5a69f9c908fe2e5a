// The HTTP/2 client session, sans-IO against an nghttp2 server session in
// memory: a 103 Early Hints before the answer does not leak its fields into
// the final response (RFC 9110 §15.2), and a REFUSED_STREAM comes back
// through Events::retry rather than as an error (RFC 9113 §8.7).
#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <cstring>
#include <string>
#include <vector>

#include "apps/http/fetch_url.hpp"
#include "apps/http/h2_client_session.hpp"

using namespace synack::apps::http;

namespace {

// An nghttp2 server that answers each request with a 103 Early Hints (a
// link field) and then a 204, or refuses it with REFUSED_STREAM.
struct RawServer {
  enum class Mode { EarlyHints, Refuse };
  explicit RawServer(Mode m) : mode(m) {
    nghttp2_session_callbacks* cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_frame_recv_callback(
        cb, [](nghttp2_session* s, const nghttp2_frame* f, void* u) {
          auto* self = static_cast<RawServer*>(u);
          if (f->hd.type == NGHTTP2_HEADERS && (f->hd.flags & NGHTTP2_FLAG_END_STREAM))
            self->answer(s, f->hd.stream_id);
          return 0;
        });
    nghttp2_session_server_new(&s, cb, this);
    nghttp2_session_callbacks_del(cb);
    nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, nullptr, 0);
  }
  ~RawServer() { nghttp2_session_del(s); }
  static nghttp2_nv nv(const char* n, const char* v) {
    return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(n)),
            reinterpret_cast<std::uint8_t*>(const_cast<char*>(v)), std::strlen(n), std::strlen(v),
            NGHTTP2_NV_FLAG_NONE};
  }
  void answer(nghttp2_session* ss, std::int32_t id) {
    if (mode == Mode::Refuse) {
      nghttp2_submit_rst_stream(ss, NGHTTP2_FLAG_NONE, id, NGHTTP2_REFUSED_STREAM);
      return;
    }
    nghttp2_nv hints[] = {nv(":status", "103"), nv("link", "</style.css>; rel=preload")};
    nghttp2_submit_headers(ss, NGHTTP2_FLAG_NONE, id, nullptr, hints, 2, nullptr);
    nghttp2_nv final_[] = {nv(":status", "204"), nv("x-final", "1")};
    nghttp2_submit_response(ss, id, final_, 2, nullptr);
  }
  std::string output() {
    std::string out;
    const std::uint8_t* d;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(s, &d)) > 0)
      out.append(reinterpret_cast<const char*>(d), static_cast<std::size_t>(n));
    return out;
  }
  void input(const std::string& b) {
    nghttp2_session_mem_recv(s, reinterpret_cast<const std::uint8_t*>(b.data()), b.size());
  }
  Mode mode;
  nghttp2_session* s = nullptr;
};

struct Result {
  std::uint64_t tag = 0;
  Response response;
  std::string error;
};

void exchange(H2ClientSession& c, RawServer& srv) {
  for (int i = 0; i < 20; ++i) {
    std::string a = c.take_output();
    if (!a.empty()) srv.input(a);
    std::string b = srv.output();
    if (!b.empty()) c.receive(b);
    if (a.empty() && b.empty()) return;
  }
}

}  // namespace

TEST(H2ClientSession, EarlyHintsFieldsStayOutOfTheFinalResponse) {
  std::vector<Result> done;
  H2ClientSession::Events ev;
  ev.done = [&](std::uint64_t t, Response r, std::string e) { done.push_back({t, r, e}); };
  H2ClientSession c(ev);
  RawServer srv(RawServer::Mode::EarlyHints);
  c.submit(*parse_fetch_url("http://10.0.0.2/", nullptr), 7);
  exchange(c, srv);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].tag, 7u);
  EXPECT_EQ(done[0].error, "");
  EXPECT_EQ(done[0].response.status, 204);
  ASSERT_EQ(done[0].response.headers.size(), 1u);
  EXPECT_EQ(done[0].response.headers[0].first, "x-final");
}

TEST(H2ClientSession, RefusedStreamIsRetriedNotFailed) {
  std::vector<Result> done;
  std::vector<std::uint64_t> retried;
  H2ClientSession::Events ev;
  ev.done = [&](std::uint64_t t, Response r, std::string e) { done.push_back({t, r, e}); };
  ev.retry = [&](std::uint64_t t) { retried.push_back(t); };
  H2ClientSession c(ev);
  RawServer srv(RawServer::Mode::Refuse);
  c.submit(*parse_fetch_url("http://10.0.0.2/a", nullptr), 1);
  c.submit(*parse_fetch_url("http://10.0.0.2/b", nullptr), 2);
  exchange(c, srv);
  EXPECT_TRUE(done.empty());
  EXPECT_EQ(retried, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_FALSE(c.draining());  // a reset stream is not a GOAWAY
  EXPECT_EQ(c.active(), 0u);
}
