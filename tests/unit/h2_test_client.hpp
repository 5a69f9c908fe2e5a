#pragma once
// Test helpers for the HTTP/2 server session: an nghttp2 client in memory
// and a pump moving bytes both ways on the virtual clock.
#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "apps/http/protocol_session.hpp"

namespace synack::apps::http::test {

// An nghttp2 client collecting each stream's status and body.
struct H2Client {
  struct Result {
    int status = 0;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    bool closed = false;
    std::uint32_t close_error = 0;
  };
  nghttp2_session* s = nullptr;
  std::map<std::int32_t, Result> results;
  bool goaway = false;
  std::uint32_t goaway_error = 0;
  std::int32_t goaway_last_id = -1;

  // `settings`: the client's SETTINGS (none: the defaults).
  // `auto_window`: false, and the client opens windows only by hand.
  // `assumed_max_streams`: how many streams it opens before the server's
  // SETTINGS arrive (nghttp2 assumes 100; more, to pass the server's limit).
  explicit H2Client(std::vector<nghttp2_settings_entry> settings = {}, bool auto_window = true,
                    std::uint32_t assumed_max_streams = 100) {
    nghttp2_session_callbacks* cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_header_callback(
        cb, [](nghttp2_session*, const nghttp2_frame* f, const std::uint8_t* n, std::size_t nl,
               const std::uint8_t* v, std::size_t vl, std::uint8_t, void* u) {
          std::string name(reinterpret_cast<const char*>(n), nl);
          std::string value(reinterpret_cast<const char*>(v), vl);
          Result& r = static_cast<H2Client*>(u)->results[f->hd.stream_id];
          if (name == ":status")
            r.status = std::stoi(value);
          else
            r.headers.emplace_back(std::move(name), std::move(value));
          return 0;
        });
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
        cb, [](nghttp2_session*, std::uint8_t, std::int32_t id, const std::uint8_t* d,
               std::size_t len, void* u) {
          static_cast<H2Client*>(u)->results[id].body.append(reinterpret_cast<const char*>(d), len);
          return 0;
        });
    nghttp2_session_callbacks_set_on_stream_close_callback(
        cb, [](nghttp2_session*, std::int32_t id, std::uint32_t err, void* u) {
          static_cast<H2Client*>(u)->results[id].closed = true;
          static_cast<H2Client*>(u)->results[id].close_error = err;
          return 0;
        });
    nghttp2_session_callbacks_set_on_frame_recv_callback(
        cb, [](nghttp2_session*, const nghttp2_frame* f, void* u) {
          if (f->hd.type == NGHTTP2_GOAWAY) {
            static_cast<H2Client*>(u)->goaway = true;
            static_cast<H2Client*>(u)->goaway_error = f->goaway.error_code;
            static_cast<H2Client*>(u)->goaway_last_id = f->goaway.last_stream_id;
          }
          return 0;
        });
    nghttp2_option* opt;
    nghttp2_option_new(&opt);
    nghttp2_option_set_no_auto_window_update(opt, auto_window ? 0 : 1);
    nghttp2_option_set_peer_max_concurrent_streams(opt, assumed_max_streams);
    nghttp2_session_client_new2(&s, cb, this, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cb);
    nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, settings.data(), settings.size());
  }
  ~H2Client() { nghttp2_session_del(s); }

  // A request; `end` false leaves the stream open (no END_STREAM).
  std::int32_t get(const std::string& path, const std::string& method = "GET", bool end = true) {
    std::string scheme = "https", authority = "x";
    auto nv = [](const std::string& n, const std::string& v) {
      return nghttp2_nv{reinterpret_cast<std::uint8_t*>(const_cast<char*>(n.data())),
                        reinterpret_cast<std::uint8_t*>(const_cast<char*>(v.data())), n.size(),
                        v.size(), NGHTTP2_NV_FLAG_NONE};
    };
    std::string m = ":method", p = ":path", sc = ":scheme", a = ":authority";
    nghttp2_nv hdrs[] = {nv(m, method), nv(p, path), nv(sc, scheme), nv(a, authority)};
    if (!end) return nghttp2_submit_headers(s, NGHTTP2_FLAG_NONE, -1, nullptr, hdrs, 4, nullptr);
    return nghttp2_submit_request(s, nullptr, hdrs, 4, nullptr, nullptr);
  }
  // A POST of `body` (kept in `uploads` until sent).
  std::int32_t post(const std::string& path, std::string body) {
    std::string m = ":method", p = ":path", sc = ":scheme", a = ":authority";
    std::string method = "POST", scheme = "https", authority = "x";
    auto nv = [](const std::string& n, const std::string& v) {
      return nghttp2_nv{reinterpret_cast<std::uint8_t*>(const_cast<char*>(n.data())),
                        reinterpret_cast<std::uint8_t*>(const_cast<char*>(v.data())), n.size(),
                        v.size(), NGHTTP2_NV_FLAG_NONE};
    };
    nghttp2_nv hdrs[] = {nv(m, method), nv(p, path), nv(sc, scheme), nv(a, authority)};
    auto upload = std::make_shared<std::pair<std::string, std::size_t>>(std::move(body), 0);
    nghttp2_data_provider prd;
    prd.source.ptr = upload.get();
    prd.read_callback = [](nghttp2_session*, std::int32_t, std::uint8_t* buf, std::size_t len,
                           std::uint32_t* flags, nghttp2_data_source* src, void*) -> ssize_t {
      auto* u = static_cast<std::pair<std::string, std::size_t>*>(src->ptr);
      std::size_t n = std::min(len, u->first.size() - u->second);
      std::memcpy(buf, u->first.data() + u->second, n);
      u->second += n;
      if (u->second == u->first.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
      return static_cast<ssize_t>(n);
    };
    uploads.push_back(upload);
    return nghttp2_submit_request(s, nullptr, hdrs, 4, &prd, nullptr);
  }
  std::vector<std::shared_ptr<std::pair<std::string, std::size_t>>> uploads;
  std::string output() {
    std::string out;
    const std::uint8_t* d;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(s, &d)) > 0)
      out.append(reinterpret_cast<const char*>(d), static_cast<std::size_t>(n));
    return out;
  }
  void input(std::string_view b) {
    nghttp2_session_mem_recv(s, reinterpret_cast<const std::uint8_t*>(b.data()), b.size());
  }
};

// Moves bytes both ways between a client (out/in functions) and a session
// until neither has anything to say.
template <typename Out, typename In>
void pump(ProtocolSession& server, Out client_out, In client_in,
          Instant now = instant_from_us(5'000'000)) {
  for (int i = 0; i < 1000; ++i) {
    std::string c = client_out();
    if (!c.empty()) server.receive(c, now);
    std::string srv(server.pending_output());
    server.consume_output(srv.size(), now);
    if (!srv.empty()) client_in(srv);
    if (c.empty() && srv.empty()) return;
  }
  FAIL() << "no quiescence";
}

}  // namespace synack::apps::http::test
