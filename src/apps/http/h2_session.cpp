#include "apps/http/h2_session.hpp"

#include <nghttp2/nghttp2.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <optional>

namespace synack::apps::http {

namespace {

constexpr std::size_t kMaxOutputBacklog = 1 << 20;

H2Session* self(void* user) {
  return static_cast<H2Session*>(user);
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// RFC 9113 §8.2.2: connection-specific fields do not exist in HTTP/2.
bool connection_specific(std::string_view name) {
  for (std::string_view f : {"connection", "keep-alive", "proxy-connection", "transfer-encoding",
                             "upgrade", "content-length"})
    if (name == f) return true;
  return false;
}

// base64url without padding (RFC 4648 §5), as HTTP2-Settings carries it.
std::optional<std::string> base64url_decode(std::string_view in) {
  std::string b64(in);
  for (char& c : b64) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (c == '+' || c == '/' || c == '=')
      return std::nullopt;
  }
  if (b64.size() % 4 == 1) return std::nullopt;
  std::size_t pad = (4 - b64.size() % 4) % 4;
  b64.append(pad, '=');
  std::string out(b64.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

nghttp2_nv make_nv(const std::string& name, const std::string& value) {
  return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
          value.size(), NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

struct H2Session::Callbacks {
  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* f, void* user) {
    if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    Stream& s = self(user)->streams_[f->hd.stream_id];
    s.request.version_major = 2;
    s.request.version_minor = 0;
    return 0;
  }
  static int on_header(nghttp2_session*, const nghttp2_frame* f, const std::uint8_t* name,
                       std::size_t namelen, const std::uint8_t* value, std::size_t valuelen,
                       std::uint8_t, void* user) {
    H2Session* h = self(user);
    auto it = h->streams_.find(f->hd.stream_id);
    if (it == h->streams_.end()) return 0;
    Stream& s = it->second;
    s.header_bytes += namelen + valuelen + 32;  // RFC 9113 §6.5.2's accounting
    if (s.header_bytes > h->cfg_.max_header_bytes) {
      // RFC 6585 §5: 431, answered when the header block ends; the rest of
      // the fields are not kept.
      s.refuse = 431;
      return 0;
    }
    std::string_view n(reinterpret_cast<const char*>(name), namelen);
    std::string v(reinterpret_cast<const char*>(value), valuelen);
    // RFC 9113 §8.3.1: the request pseudo-header fields.
    if (n == ":method") {
      s.request.method = std::move(v);
    } else if (n == ":path") {
      s.request.target = std::move(v);
    } else if (n == ":authority") {
      s.request.headers.emplace_back("host", std::move(v));
    } else if (n.empty() || n[0] != ':') {
      s.request.headers.emplace_back(std::string(n), std::move(v));
    }
    return 0;
  }
  static int on_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t id,
                           const std::uint8_t* data, std::size_t len, void* user) {
    H2Session* h = self(user);
    auto it = h->streams_.find(id);
    if (it == h->streams_.end()) return 0;
    Stream& s = it->second;
    if (s.refuse) return 0;
    if (s.request.body.size() + len > h->cfg_.max_body_bytes) {
      s.refuse = 413;  // RFC 9110 §15.5.14, answered now (see on_frame_recv)
    } else {
      s.request.body.append(reinterpret_cast<const char*>(data), len);
    }
    return 0;
  }
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* f, void* user) {
    // A request is complete when its stream ends (RFC 9113 §8.1); one that
    // passed a limit is answered at once, without waiting for the rest.
    H2Session* h = self(user);
    bool request_frame = f->hd.type == NGHTTP2_DATA ||
                         (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST);
    if (!request_frame) return 0;
    auto it = h->streams_.find(f->hd.stream_id);
    bool refused = it != h->streams_.end() && it->second.refuse;
    if ((f->hd.flags & NGHTTP2_FLAG_END_STREAM) || refused) h->ready_.push_back(f->hd.stream_id);
    return 0;
  }
  static int on_stream_close(nghttp2_session*, std::int32_t id, std::uint32_t, void* user) {
    H2Session* h = self(user);
    h->streams_.erase(id);
    h->ready_.erase(std::remove(h->ready_.begin(), h->ready_.end(), id), h->ready_.end());
    return 0;
  }
  static int on_frame_send(nghttp2_session*, const nghttp2_frame* f, void* user) {
    // A GOAWAY with an error code ends a connection the peer broke (RFC 9113
    // §5.4.1): counted as an error.
    if (f->hd.type == NGHTTP2_GOAWAY && f->goaway.error_code != NGHTTP2_NO_ERROR)
      ++self(user)->errors_;
    return 0;
  }
  static ssize_t read_body(nghttp2_session*, std::int32_t id, std::uint8_t* buf, std::size_t length,
                           std::uint32_t* flags, nghttp2_data_source*, void* user) {
    H2Session* h = self(user);
    auto it = h->streams_.find(id);
    if (it == h->streams_.end()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      return 0;
    }
    Stream& s = it->second;
    std::size_t n = std::min(length, s.body.size() - s.sent);
    std::memcpy(buf, s.body.data() + s.sent, n);
    s.sent += n;
    if (s.sent == s.body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
};

H2Session::H2Session(Handler handler, Http2Config cfg, Instant now, bool tls)
    : handler_(std::move(handler)), cfg_(cfg), tls_(tls), last_activity_(now) {
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, Callbacks::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, Callbacks::on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, Callbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, Callbacks::on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(cb, Callbacks::on_frame_send);
  int rv = nghttp2_session_server_new(&session_, cb, this);
  nghttp2_session_callbacks_del(cb);
  if (rv != 0) {
    failed_ = true;
    session_ = nullptr;
    return;
  }
  // The server's connection preface is a SETTINGS frame (RFC 9113 §3.4).
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, cfg_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, cfg_.initial_window},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<std::uint32_t>(cfg_.max_header_bytes)},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  fill_output();
}

H2Session::~H2Session() {
  nghttp2_session_del(session_);
}

void H2Session::receive(std::string_view bytes, Instant now) {
  if (failed_ || bytes.empty()) return;
  last_activity_ = now;
  ssize_t rv = nghttp2_session_mem_recv(
      session_, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  if (rv < 0) {
    // Not HTTP/2 (a bad preface) or a fatal error: nghttp2 has queued a
    // GOAWAY where it could (RFC 9113 §5.4.1); send it and close.
    failed_ = true;
    nghttp2_session_terminate_session(session_, NGHTTP2_PROTOCOL_ERROR);
  }
  for (std::size_t i = 0; i < ready_.size(); ++i)
    dispatch(ready_[i]);
  ready_.clear();
  fill_output();
}

bool H2Session::upgrade(std::string_view settings_base64url, Request request, Instant now) {
  last_activity_ = now;
  auto payload = base64url_decode(settings_base64url);
  bool head = request.method == "HEAD";
  if (!payload ||
      nghttp2_session_upgrade2(session_, reinterpret_cast<const std::uint8_t*>(payload->data()),
                               payload->size(), head ? 1 : 0, nullptr) != 0) {
    failed_ = true;
    nghttp2_session_terminate_session(session_, NGHTTP2_PROTOCOL_ERROR);
    fill_output();
    return false;
  }
  streams_[1].request = std::move(request);
  dispatch(1);
  fill_output();
  return true;
}

void H2Session::dispatch(std::int32_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  Stream& s = it->second;
  if (s.answered) return;
  s.answered = true;
  ++requests_;
  Response resp;
  if (s.refuse) {
    resp = simple_response(s.refuse);
    ++errors_;
  } else if (s.request.method.empty() || s.request.target.empty()) {
    resp = simple_response(400);  // nghttp2 already checks §8.3.1; this is a backstop
    ++errors_;
  } else {
    try {
      resp = handler_(s.request);
    } catch (const std::exception&) {
      resp = simple_response(500);
    }
  }
  if (resp.chunked) {  // no chunked coding in HTTP/2: DATA frames carry the pieces
    for (const std::string& c : resp.chunks)
      resp.body += c;
  }
  bool head = s.request.method == "HEAD";
  bool bodiless = head || resp.status == 204 || resp.status == 304;
  // Field names are lowercase in HTTP/2 (RFC 9113 §8.2.1).
  std::vector<std::pair<std::string, std::string>> fields;
  fields.emplace_back(":status", std::to_string(resp.status));
  fields.emplace_back("server", "synack");
  for (const auto& [n, v] : resp.headers) {
    std::string ln = lowercase(n);
    if (!connection_specific(ln)) fields.emplace_back(std::move(ln), v);
  }
  if (resp.status != 204 && resp.status != 304)
    fields.emplace_back("content-length",
                        std::to_string(resp.head_length ? *resp.head_length : resp.body.size()));
  std::vector<nghttp2_nv> nva;
  nva.reserve(fields.size());
  for (const auto& [n, v] : fields)
    nva.push_back(make_nv(n, v));
  s.body = bodiless ? std::string() : std::move(resp.body);
  s.sent = 0;
  nghttp2_data_provider prd{};
  prd.read_callback = Callbacks::read_body;
  nghttp2_submit_response(session_, id, nva.data(), nva.size(),
                          bodiless || s.body.empty() ? nullptr : &prd);
}

void H2Session::fill_output() {
  if (!session_) return;
  while (out_.size() - out_pos_ < kMaxOutputBacklog) {
    const std::uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n <= 0) {
      if (n < 0) failed_ = true;
      break;
    }
    out_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
  }
}

void H2Session::consume_output(std::size_t n, Instant now) {
  out_pos_ += std::min(n, out_.size() - out_pos_);
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  } else if (out_pos_ > (1 << 16) && out_pos_ * 2 > out_.size()) {
    out_.erase(0, out_pos_);
    out_pos_ = 0;
  }
  if (n) last_activity_ = now;
  fill_output();
}

void H2Session::receive_eof(Instant now) {
  peer_eof_ = true;
  (void)now;
}

Instant H2Session::deadline() const {
  if (!session_ || failed_ || !streams_.empty()) return kNever;
  if (!nghttp2_session_want_read(session_)) return kNever;
  return last_activity_ + cfg_.idle_timeout;
}

void H2Session::on_timer(Instant now) {
  if (now < deadline()) return;
  // Idle: GOAWAY with NO_ERROR (RFC 9113 §6.8), then close.
  nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
  fill_output();
}

bool H2Session::finished() const {
  if (!pending_output().empty()) return false;
  if (!session_ || failed_ || peer_eof_) return true;
  return !nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_);
}

}  // namespace synack::apps::http
