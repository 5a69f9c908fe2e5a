#include "apps/http/http1_connection.hpp"

#include <exception>

#include "apps/http/response_writer.hpp"

namespace synack::apps::http {

namespace {
// A streamed body is read into the output in pieces this big, while less
// than kBodyLowWater bytes wait to be sent.
constexpr std::size_t kBodyPiece = 64 * 1024;
constexpr std::size_t kBodyLowWater = 256 * 1024;

bool settings_syntax_ok(std::string_view b64) {
  for (char c : b64) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  if (b64.size() % 4 == 1) return false;
  return (b64.size() * 6 / 8) % 6 == 0;
}
}  // namespace

Http1Connection::Http1Connection(Handler handler, Http1Config cfg, Instant now)
    : handler_(std::move(handler)), cfg_(cfg), parser_(cfg.limits), last_activity_(now) {}

void Http1Connection::receive(std::string_view bytes, Instant now) {
  if (upgrade_) {
    in_.append(bytes);  // HTTP/2's, handed over with take_upgrade()
    return;
  }
  if (closing_ || peer_closed_ || bytes.empty()) return;  // RFC 9112 §9.6: ignored
  if (request_started_ == kNever) request_started_ = now;
  in_.append(bytes);
  process(now);
}

void Http1Connection::receive_eof(Instant now) {
  peer_closed_ = true;
  process(now);
}

void Http1Connection::consume_output(std::size_t n, Instant now) {
  out_pos_ += std::min(n, out_.size() - out_pos_);
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  } else if (out_pos_ > (1 << 16) && out_pos_ * 2 > out_.size()) {
    out_.erase(0, out_pos_);
    out_pos_ = 0;
  }
  if (n) last_activity_ = now;
  process(now);  // parsing may have paused for the backlog
}

bool Http1Connection::closing() const {
  // After the peer's FIN, whatever complete requests arrived are answered
  // first; a partial one never completes.
  return closing_ || (peer_closed_ && in_pos_ == in_.size());
}

Instant Http1Connection::deadline() const {
  if (stalled_ || upgrade_) return kNever;
  // Sending: output waits that the client does not take (the caller writes
  // whenever the socket has room), so the clock runs from the last byte it
  // took.
  if (!pending_output().empty() || body_) return last_activity_ + cfg_.idle_timeout;
  if (closing_) return kNever;
  // A request that has begun must complete within the timeout however
  // slowly it trickles (slowloris); otherwise the clock runs from the last
  // answer or the last progress in sending it.
  bool partial = parser_.mid_request() || in_pos_ < in_.size();
  Instant from = partial && request_started_ != kNever ? request_started_ : last_activity_;
  return from + cfg_.idle_timeout;
}

void Http1Connection::on_timer(Instant now) {
  if (now < deadline()) return;
  ++counters_.timeouts;
  if (!pending_output().empty() || body_) {
    // The client stopped reading: drop what waits and reset (finished()
    // and aborted()); nothing of the connection stays held.
    ++counters_.stalls;
    stalled_ = closing_ = true;
    body_.reset();
    return;
  }
  if (parser_.mid_request() || in_pos_ < in_.size()) {
    answer_error(408, now);  // RFC 9110 §15.5.9
    --counters_.errors;      // counted as the timeout
  } else {
    closing_ = true;  // idle: close without a response (RFC 9112 §9.5)
  }
}

void Http1Connection::fill_body() {
  while (body_ && out_.size() - out_pos_ < kBodyLowWater) {
    std::uint64_t left = body_->size() - body_pos_;
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, kBodyPiece));
    std::size_t at = out_.size();
    out_.resize(at + want);
    std::size_t n = want ? body_->read(body_pos_, out_.data() + at, want) : 0;
    out_.resize(at + n);
    body_pos_ += n;
    if (body_pos_ == body_->size()) {
      body_.reset();
    } else if (n < want) {
      // The file could not be read: the Content-Length already sent cannot
      // be met, so the connection ends here (RFC 9112 §6.3).
      body_.reset();
      closing_ = true;
    }
  }
}

void Http1Connection::process(Instant now) {
  fill_body();
  // Pipelined requests wait while a streamed body is being sent: answers
  // go out in order (RFC 9112 §9.3.2).
  while (!closing_ && !upgrade_ && !body_ && !stalled_ && in_pos_ < in_.size() &&
         out_.size() - out_pos_ <= cfg_.max_output_backlog) {
    std::string_view rest = std::string_view(in_).substr(in_pos_);
    RequestParser::Outcome o = parser_.parse(rest);
    in_pos_ += o.consumed;
    switch (o.status) {
      case RequestParser::Status::NeedMore:
        break;
      case RequestParser::Status::HeadersExpecting:
        write_continue(out_);  // RFC 9110 §10.1.1
        continue;
      case RequestParser::Status::Complete:
        answer(parser_.take(), now);
        continue;
      case RequestParser::Status::Error:
        answer_error(parser_.error_status(), now);
        break;
    }
    break;
  }
  if (upgrade_) return;  // the rest of in_ belongs to HTTP/2
  if (in_pos_ == in_.size()) {
    in_.clear();
    in_pos_ = 0;
  } else if (in_pos_ > (1 << 16)) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  if (!parser_.mid_request() && in_.empty()) request_started_ = kNever;
}

void Http1Connection::answer(const Request& req, Instant now) {
  ++counters_.requests;
  counters_.highest_minor = std::max(counters_.highest_minor, req.version_minor);
  last_activity_ = now;
  // The next pipelined request's clock starts now.
  request_started_ = in_pos_ < in_.size() ? now : kNever;
  // RFC 9112 §3.2: an HTTP/1.1 request without exactly one Host is a 400.
  int hosts = 0;
  for (const auto& [n, v] : req.headers)
    hosts += field_name_equals(n, "Host");
  if ((req.version_minor >= 1 && hosts != 1) || hosts > 1) {
    --counters_.requests;  // answer_error counts it
    answer_error(400, now, req.method == "HEAD");
    return;
  }
  if (cfg_.allow_h2c_upgrade && start_h2c_upgrade(req)) return;
  // RFC 9112 §9.3: 1.1 persists unless `Connection: close`; 1.0 only with
  // `Connection: keep-alive`. The request limit closes after its last answer.
  // Requests that arrived before the peer's FIN are all answered, whenever
  // their turn comes (closing() then ends the connection).
  // An HTTP/1.0 message with Transfer-Encoding has faulty framing: answer,
  // then close (RFC 9112 §6.1; the parser's keep_alive() says so).
  bool keep = parser_.keep_alive() && counters_.requests < cfg_.max_requests;
  Response resp;
  try {
    resp = handler_(req);
  } catch (const std::exception&) {
    resp = simple_response(500);
  }
  ResponseFraming f;
  f.request_minor = req.version_minor;
  f.head = req.method == "HEAD";
  f.close = !keep;
  f.keep_alive_10 = keep && req.version_minor == 0;
  if (cfg_.date) f.date = cfg_.date->value();
  f.stream_source = resp.source && !f.head;
  write_response(resp, f, out_);
  if (f.stream_source) {
    body_ = std::move(resp.source);
    body_pos_ = 0;
    fill_body();
  }
  // RFC 9112 §9.6: after a response with `Connection: close` nothing
  // more is read; pipelined requests behind it are dropped.
  if (!keep) closing_ = true;
}

bool Http1Connection::start_h2c_upgrade(const Request& req) {
  // RFC 7540 §3.2: `Upgrade: h2c`, `Connection: Upgrade, HTTP2-Settings` and
  // exactly one HTTP2-Settings field. A request with content keeps HTTP/1.1
  // (a server may ignore the Upgrade, RFC 9110 §7.8), as does one that asked
  // to close.
  if (req.version_minor < 1 || !req.body.empty() || !parser_.keep_alive()) return false;
  if (!field_has_token(req.headers, "Upgrade", "h2c")) return false;
  if (!field_has_token(req.headers, "Connection", "Upgrade") ||
      !field_has_token(req.headers, "Connection", "HTTP2-Settings"))
    return false;
  int n = 0;
  std::string settings;
  for (const auto& [name, value] : req.headers) {
    if (field_name_equals(name, "HTTP2-Settings")) {
      ++n;
      settings = value;
    }
  }
  // RFC 7540 §3.2.1: a base64url SETTINGS payload (6 bytes per setting).
  // One that cannot be one is ignored with the Upgrade (RFC 9110 §7.8)
  // rather than answered with 101 and then a GOAWAY.
  if (!settings_syntax_ok(settings)) return false;
  if (n != 1) return false;
  --counters_.requests;  // answered on HTTP/2's stream 1, and counted there
  out_.append("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n");
  upgrade_ = Upgrade{req, std::move(settings), {}};
  return true;
}

Http1Connection::Upgrade Http1Connection::take_upgrade() {
  Upgrade u = std::move(*upgrade_);
  u.rest = in_.substr(in_pos_);
  in_.clear();
  in_pos_ = 0;
  upgrade_.reset();
  closing_ = true;  // this object is done
  return u;
}

void Http1Connection::answer_error(int status, Instant now, bool head) {
  ++counters_.requests;
  ++counters_.errors;
  last_activity_ = now;
  // After a framing error the stream cannot be trusted: answer and close
  // (RFC 9112 §9.6; 413 and 431 may close too, RFC 9110 §15.5.14).
  ResponseFraming f;
  f.close = true;
  f.head = head;  // RFC 9110 §9.3.2: no content in any answer to HEAD
  if (cfg_.date) f.date = cfg_.date->value();
  write_response(simple_response(status), f, out_);
  closing_ = true;
}

}  // namespace synack::apps::http
