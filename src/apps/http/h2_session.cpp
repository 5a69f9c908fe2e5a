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
    H2Session* h = self(user);
    Stream& s = h->streams_[f->hd.stream_id];
    s.progress = h->now_;
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
    s.progress = h->now_;
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
    s.progress = h->now_;
    if (s.refuse || s.reset) return 0;
    if (s.request.body.size() + len > h->cfg_.max_body_bytes) {
      s.refuse = 413;  // RFC 9110 §15.5.14, answered now (see on_frame_recv)
    } else if (h->body_bytes_ + len > h->cfg_.max_connection_body_bytes) {
      // The streams' request content together passes the connection's
      // bound: this stream is reset as not processed, so the client may
      // send it again (RFC 9113 §8.7), and its content is dropped.
      s.reset = true;
      h->body_bytes_ -= s.request.body.size();
      std::string().swap(s.request.body);
      ++h->errors_;
      nghttp2_submit_rst_stream(h->session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_REFUSED_STREAM);
    } else {
      s.request.body.append(reinterpret_cast<const char*>(data), len);
      h->body_bytes_ += len;
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
    auto it = h->streams_.find(id);
    if (it != h->streams_.end()) h->body_bytes_ -= it->second.request.body.size();
    h->streams_.erase(id);
    h->ready_.erase(std::remove(h->ready_.begin(), h->ready_.end(), id), h->ready_.end());
    return 0;
  }
  static int on_frame_send(nghttp2_session*, const nghttp2_frame* f, void* user) {
    H2Session* h = self(user);
    // A GOAWAY with an error code ends a connection the peer broke (RFC 9113
    // §5.4.1), and a stream reset for passing SETTINGS_MAX_CONCURRENT_STREAMS
    // or breaking the protocol (§5.1.2, §5.4.2): counted as errors.
    if (f->hd.type == NGHTTP2_GOAWAY && f->goaway.error_code != NGHTTP2_NO_ERROR) ++h->errors_;
    if (f->hd.type == NGHTTP2_RST_STREAM && f->rst_stream.error_code != NGHTTP2_NO_ERROR &&
        f->rst_stream.error_code != NGHTTP2_CANCEL)
      ++h->errors_;
    if (f->hd.type == NGHTTP2_DATA) h->data_progress_ = h->now_;
    auto it = h->streams_.find(f->hd.stream_id);
    if (it != h->streams_.end()) it->second.progress = h->now_;
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
    std::uint64_t total = s.source ? s.source->size() : s.body.size();
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(length, total - s.sent));
    if (s.source) {
      // Read now, one frame's worth: nothing of the file is held between
      // frames (bounded buffering).
      std::size_t want = n;
      n = want ? s.source->read(s.sent, reinterpret_cast<char*>(buf), want) : 0;
      if (n < want) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // unreadable: reset it
    } else {
      std::memcpy(buf, s.body.data() + s.sent, n);
    }
    s.sent += n;
    if (s.sent == total) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
};

H2Session::H2Session(Handler handler, Http2Config cfg, Instant now, bool tls)
    : handler_(std::move(handler)),
      cfg_(cfg),
      tls_(tls),
      last_activity_(now),
      now_(now),
      data_progress_(now) {
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
  last_activity_ = now_ = now;
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
  last_activity_ = now_ = now;
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
  streams_[1].progress = now;
  dispatch(1);
  fill_output();
  return true;
}

void H2Session::dispatch(std::int32_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  Stream& s = it->second;
  if (s.answered || s.reset) return;
  // Past the request limit: streams above the GOAWAY's last-stream-id are
  // not processed; nghttp2 closes them once the GOAWAY is out (§6.8).
  if (limit_last_id_ && id > limit_last_id_) return;
  s.answered = true;
  ++requests_;
  if (cfg_.max_requests && requests_ == cfg_.max_requests) {
    limit_last_id_ = id;
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_NO_ERROR, nullptr, 0);
  }
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
  body_bytes_ -= s.request.body.size();  // the request's content is no longer needed
  std::string().swap(s.request.body);
  if (resp.chunked) {  // no chunked coding in HTTP/2: DATA frames carry the pieces
    for (const std::string& c : resp.chunks)
      resp.body += c;
  }
  bool head = s.request.method == "HEAD";
  bool bodiless = head || resp.status == 204 || resp.status == 304;
  // Field names are lowercase in HTTP/2 (RFC 9113 §8.2.1).
  std::vector<std::pair<std::string, std::string>> fields;
  fields.emplace_back(":status", std::to_string(resp.status));
  // RFC 9110 §6.6.1: Date in every response from a server with a clock.
  if (cfg_.date && !cfg_.date->value().empty())
    fields.emplace_back("date", std::string(cfg_.date->value()));
  fields.emplace_back("server", "synack");
  for (const auto& [n, v] : resp.headers) {
    std::string ln = lowercase(n);
    if (!connection_specific(ln)) fields.emplace_back(std::move(ln), v);
  }
  std::uint64_t length = resp.source ? resp.source->size() : resp.body.size();
  if (resp.status != 204 && resp.status != 304)
    fields.emplace_back("content-length",
                        std::to_string(resp.head_length ? *resp.head_length : length));
  std::vector<nghttp2_nv> nva;
  nva.reserve(fields.size());
  for (const auto& [n, v] : fields)
    nva.push_back(make_nv(n, v));
  s.body = bodiless || resp.source ? std::string() : std::move(resp.body);
  if (!bodiless) s.source = std::move(resp.source);
  s.sent = 0;
  s.progress = now_;
  nghttp2_data_provider prd{};
  prd.read_callback = Callbacks::read_body;
  bool content = bodiless ? false : s.source ? s.source->size() > 0 : !s.body.empty();
  nghttp2_submit_response(session_, id, nva.data(), nva.size(), content ? &prd : nullptr);
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
  now_ = now;
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

std::size_t H2Session::buffered_bytes() const {
  std::size_t n = pending_output().size();
  for (const auto& [id, s] : streams_)
    n += s.body.size() - std::min<std::size_t>(s.body.size(), static_cast<std::size_t>(s.sent));
  return n;
}

Instant H2Session::deadline() const {
  if (!session_ || failed_ || timed_out_) return kNever;
  if (streams_.empty()) {
    if (!nghttp2_session_want_read(session_)) return kNever;
    return last_activity_ + cfg_.idle_timeout;
  }
  // The stream that has gone longest without progress: its own frames in
  // or out, or (once answered) any DATA out, since streams share the
  // connection's window and take turns.
  Instant oldest = kNever;
  for (const auto& [id, s] : streams_) {
    Instant p = s.answered ? std::max(s.progress, data_progress_) : s.progress;
    oldest = std::min(oldest, p);
  }
  return oldest + cfg_.idle_timeout;
}

void H2Session::on_timer(Instant now) {
  if (now < deadline()) return;
  now_ = now;
  timed_out_ = true;
  if (!streams_.empty()) ++timeouts_;  // a stall, not idleness
  if (!pending_output().empty()) {
    // Frames wait that the peer does not read: a GOAWAY would wait behind
    // them. Drop it all and reset the connection.
    aborted_ = true;
    return;
  }
  // GOAWAY with NO_ERROR (RFC 9113 §6.8), then close.
  nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
  fill_output();
}

bool H2Session::finished() const {
  if (aborted_) return true;
  if (!pending_output().empty()) return false;
  if (!session_ || failed_ || peer_eof_ || timed_out_) return true;
  return !nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_);
}

}  // namespace synack::apps::http
