#include "apps/http/h2_client_session.hpp"

#include <nghttp2/nghttp2.h>

#include <cctype>
#include <cstring>
#include <vector>

namespace synack::apps::http {

struct H2ClientSession::Callbacks {
  static H2ClientSession& self(void* user) { return *static_cast<H2ClientSession*>(user); }
  static H2ClientSession::Stream* stream(void* user, std::int32_t id) {
    auto& s = self(user).streams_;
    auto it = s.find(id);
    return it == s.end() ? nullptr : &it->second;
  }
  static void first(void* user, Stream& st) {
    if (st.got_bytes) return;
    st.got_bytes = true;
    if (self(user).events_.first_byte) self(user).events_.first_byte(st.tag);
  }
  static int on_header(nghttp2_session*, const nghttp2_frame* f, const std::uint8_t* name,
                       std::size_t namelen, const std::uint8_t* value, std::size_t valuelen,
                       std::uint8_t, void* user) {
    Stream* st = stream(user, f->hd.stream_id);
    if (!st) return 0;
    first(user, *st);
    std::string n(reinterpret_cast<const char*>(name), namelen);
    std::string v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":status") {
      // RFC 9110 §15.2: a 1xx (103 Early Hints) is interim; its fields are
      // not the final response's.
      int code = std::atoi(v.c_str());
      st->interim = code >= 100 && code < 200;
      if (!st->interim) st->response.status = code;
    } else if (st->interim) {
      return 0;
    } else if (!n.empty() && n[0] != ':') {
      st->response.headers.emplace_back(std::move(n), std::move(v));
    }
    return 0;
  }
  static int on_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t id,
                           const std::uint8_t* data, std::size_t len, void* user) {
    Stream* st = stream(user, id);
    if (!st) return 0;
    first(user, *st);
    st->response.body.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }
  static int on_stream_close(nghttp2_session*, std::int32_t id, std::uint32_t error_code,
                             void* user) {
    auto& streams = self(user).streams_;
    auto it = streams.find(id);
    if (it == streams.end()) return 0;
    Stream st = std::move(it->second);
    streams.erase(it);
    H2ClientSession& h = self(user);
    // RFC 9113 §8.7: REFUSED_STREAM means nothing was processed; §6.8:
    // nor was a stream above the GOAWAY's last-stream-id (nghttp2 closes
    // those with REFUSED_STREAM too). Either can be sent again.
    bool refused = error_code == NGHTTP2_REFUSED_STREAM || (h.goaway_ && id > h.goaway_last_id_);
    if (refused && !st.got_bytes) {
      h.unprocessed(st.tag, std::string("stream reset: ") + nghttp2_http2_strerror(error_code));
      return 0;
    }
    std::string err;
    if (error_code != NGHTTP2_NO_ERROR || st.response.status == 0)
      err = std::string("stream reset: ") + nghttp2_http2_strerror(error_code);
    if (err.empty()) ++h.answered_;
    if (self(user).events_.done) self(user).events_.done(st.tag, std::move(st.response), err);
    return 0;
  }
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* f, void* user) {
    if (f->hd.type == NGHTTP2_GOAWAY) {
      self(user).goaway_ = true;
      self(user).goaway_last_id_ = f->goaway.last_stream_id;
    }
    return 0;
  }
  static int on_frame_send(nghttp2_session*, const nghttp2_frame* f, void* user) {
    if (f->hd.type == NGHTTP2_HEADERS)
      if (Stream* st = stream(user, f->hd.stream_id)) st->sent = true;
    return 0;
  }
  // A request's HEADERS that nghttp2 will not send (a GOAWAY came first).
  static int on_frame_not_send(nghttp2_session*, const nghttp2_frame* f, int, void* user) {
    if (f->hd.type != NGHTTP2_HEADERS) return 0;
    auto& streams = self(user).streams_;
    auto it = streams.find(f->hd.stream_id);
    if (it == streams.end()) return 0;
    std::uint64_t tag = it->second.tag;
    streams.erase(it);
    self(user).unprocessed(tag, "not sent before GOAWAY");
    return 0;
  }
};

H2ClientSession::H2ClientSession(Events events) : events_(std::move(events)) {
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_header_callback(cb, Callbacks::on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, Callbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, Callbacks::on_stream_close);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_frame_send_callback(cb, Callbacks::on_frame_send);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(cb, Callbacks::on_frame_not_send);
  int rv = nghttp2_session_client_new(&session_, cb, this);
  nghttp2_session_callbacks_del(cb);
  if (rv != 0) {
    session_ = nullptr;
    failed_ = true;
    return;
  }
  // A large stream window, so responses are not held back by flow control.
  nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                       {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 24}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, 1 << 26);
}

H2ClientSession::~H2ClientSession() {
  if (session_) nghttp2_session_del(session_);
}

void H2ClientSession::submit(const FetchUrl& url, std::uint64_t tag, const HeaderList& headers) {
  if (failed_ || goaway_) {
    unprocessed(tag, failed_ ? "HTTP/2 connection failed" : "GOAWAY received");
    return;
  }
  std::string authority = url.host_header();
  auto nv = [](const char* n, const std::string& v) {
    return nghttp2_nv{reinterpret_cast<std::uint8_t*>(const_cast<char*>(n)),
                      reinterpret_cast<std::uint8_t*>(const_cast<char*>(v.data())), std::strlen(n),
                      v.size(), NGHTTP2_NV_FLAG_NONE};
  };
  std::string method = "GET", agent = "synack-fetch", accept = "*/*";
  if (auto ua = find_field(headers, "User-Agent")) agent = std::string(*ua);
  std::vector<nghttp2_nv> nva = {nv(":method", method),       nv(":scheme", url.scheme),
                                 nv(":authority", authority), nv(":path", url.target),
                                 nv("user-agent", agent),     nv("accept", accept)};
  // HTTP/2 field names are lower case (RFC 9113 §8.2.1).
  std::vector<std::string> names;
  names.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    std::string n = name;
    for (char& ch : n)
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (n == "user-agent") continue;
    names.push_back(std::move(n));
    nva.push_back(nghttp2_nv{reinterpret_cast<std::uint8_t*>(names.back().data()),
                             reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())),
                             names.back().size(), value.size(), NGHTTP2_NV_FLAG_NONE});
  }
  std::int32_t id =
      nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(), nullptr, nullptr);
  if (id < 0) {
    if (events_.done) events_.done(tag, {}, std::string("HTTP/2: ") + nghttp2_strerror(id));
    return;
  }
  streams_[id].tag = tag;
}

void H2ClientSession::receive(std::string_view bytes) {
  if (failed_) return;
  ssize_t rv = nghttp2_session_mem_recv(
      session_, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  if (rv < 0) fail_all(std::string("HTTP/2: ") + nghttp2_strerror(static_cast<int>(rv)));
}

std::string H2ClientSession::take_output() {
  std::string out;
  if (failed_) return out;
  while (true) {
    const std::uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n <= 0) break;
    out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
  }
  return out;
}

void H2ClientSession::fail_all(const std::string& why) {
  failed_ = true;
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, st] : streams) {
    if (!st.sent)
      unprocessed(st.tag, why);  // never left this side (§6.8)
    else if (events_.done)
      events_.done(st.tag, {}, why);
  }
}

void H2ClientSession::unprocessed(std::uint64_t tag, const std::string& why) {
  if (events_.retry)
    events_.retry(tag);
  else if (events_.done)
    events_.done(tag, {}, why);
}

}  // namespace synack::apps::http
