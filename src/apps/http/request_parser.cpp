#include "apps/http/request_parser.hpp"

#include <llhttp.h>

namespace synack::apps::http {

namespace {
RequestParser* self(llhttp_t* p) {
  return static_cast<RequestParser*>(p->data);
}

// RFC 9110 §5.6.2: tchar.
bool tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// The request line's method is a well-formed token that llhttp does not
// know (its list is fixed): `rest` starts where llhttp stopped, inside the
// method, and must go on with tchars up to a space and a target.
bool unknown_method(std::string_view rest) {
  std::size_t sp = rest.find(' ');
  if (sp == std::string_view::npos || sp + 1 >= rest.size() || rest[sp + 1] == ' ') return false;
  for (std::size_t i = 0; i < sp; ++i)
    if (!tchar(rest[i])) return false;
  return true;
}

// RFC 9112 §6.1, §7: the only transfer coding implemented is chunked.
bool only_chunked(const HeaderList& h) {
  for (const auto& [n, v] : h) {
    if (!field_name_equals(n, "Transfer-Encoding")) continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      std::size_t comma = rest.find(',');
      std::string_view c = rest.substr(0, comma);
      c = c.substr(0, c.find(';'));
      while (!c.empty() && (c.front() == ' ' || c.front() == '\t'))
        c.remove_prefix(1);
      while (!c.empty() && (c.back() == ' ' || c.back() == '\t'))
        c.remove_suffix(1);
      if (!c.empty() && !field_name_equals(c, "chunked")) return false;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return true;
}
}  // namespace

// llhttp calls these with pieces of the input; a piece may be split across
// parse() calls, so each one appends.
struct RequestParser::Callbacks {
  static int on_message_begin(llhttp_t* p) {
    RequestParser* s = self(p);
    s->current_ = Request{};
    s->field_.clear();
    s->value_.clear();
    s->header_bytes_ = 0;
    s->framing_close_ = false;
    s->in_message_ = true;
    return 0;
  }
  static int on_method(llhttp_t* p, const char* at, std::size_t n) {
    self(p)->current_.method.append(at, n);
    return self(p)->grow_header(n) ? 0 : HPE_USER;
  }
  static int on_url(llhttp_t* p, const char* at, std::size_t n) {
    RequestParser* s = self(p);
    s->current_.target.append(at, n);
    if (s->current_.target.size() > s->limits_.max_target_bytes) return s->fail(414);
    return s->grow_header(n) ? 0 : HPE_USER;
  }
  static int on_header_field(llhttp_t* p, const char* at, std::size_t n) {
    self(p)->field_.append(at, n);
    return self(p)->grow_header(n) ? 0 : HPE_USER;
  }
  static int on_header_value(llhttp_t* p, const char* at, std::size_t n) {
    self(p)->value_.append(at, n);
    return self(p)->grow_header(n) ? 0 : HPE_USER;
  }
  static int on_header_value_complete(llhttp_t* p) {
    RequestParser* s = self(p);
    // ": " and CRLF, once per field however its pieces arrived.
    if (!s->grow_header(4)) return HPE_USER;
    s->current_.headers.emplace_back(std::move(s->field_), std::move(s->value_));
    s->field_.clear();
    s->value_.clear();
    return 0;
  }
  static int on_headers_complete(llhttp_t* p) {
    RequestParser* s = self(p);
    Request& r = s->current_;
    r.version_major = p->http_major;
    r.version_minor = p->http_minor;
    r.body_chunked = (p->flags & F_CHUNKED) != 0;
    // RFC 9110 §6.2 / RFC 9112 §2.3: HTTP/1.x only here (2.0 has its own
    // framing, not this request line).
    if (r.version_major != 1) return s->fail(505);
    // RFC 9112 §6.1: a transfer coding other than chunked is not
    // implemented (501), and an HTTP/1.0 message with Transfer-Encoding has
    // faulty framing: answered, then the connection is closed.
    bool te = r.header("Transfer-Encoding").has_value();
    if (te && !only_chunked(r.headers)) return s->fail(501);
    if (te && r.version_minor == 0) s->framing_close_ = true;
    // A declared length beyond the limit is refused before any of it is read
    // (RFC 9110 §15.5.14).
    if ((p->flags & F_CONTENT_LENGTH) && p->content_length > s->limits_.max_body_bytes)
      return s->fail(413);
    s->keep_alive_ = llhttp_should_keep_alive(p) != 0 && !s->framing_close_;
    // RFC 9110 §10.1.1: a client that sent `Expect: 100-continue` waits for
    // the interim response before the content; stop here so the connection
    // can send it. Only when there is content to wait for.
    bool has_body = (p->flags & F_CHUNKED) || ((p->flags & F_CONTENT_LENGTH) && p->content_length);
    if (has_body && r.version_minor >= 1 && field_has_token(r.headers, "Expect", "100-continue")) {
      s->expecting_ = true;
      return HPE_PAUSED;
    }
    return 0;
  }
  static int on_body(llhttp_t* p, const char* at, std::size_t n) {
    RequestParser* s = self(p);
    if (s->current_.body.size() + n > s->limits_.max_body_bytes) return s->fail(413);
    s->current_.body.append(at, n);
    return 0;
  }
  static int on_message_complete(llhttp_t* p) {
    RequestParser* s = self(p);
    s->keep_alive_ = llhttp_should_keep_alive(p) != 0 && !s->framing_close_;
    s->in_message_ = false;
    s->complete_ = true;
    return HPE_PAUSED;  // one request at a time: pipelined ones wait
  }

  static const llhttp_settings_t& settings() {
    static const llhttp_settings_t s = [] {
      llhttp_settings_t x;
      llhttp_settings_init(&x);
      x.on_message_begin = on_message_begin;
      x.on_method = on_method;
      x.on_url = on_url;
      x.on_header_field = on_header_field;
      x.on_header_value = on_header_value;
      x.on_header_value_complete = on_header_value_complete;
      x.on_headers_complete = on_headers_complete;
      x.on_body = on_body;
      x.on_message_complete = on_message_complete;
      return x;
    }();
    return s;
  }
};

RequestParser::RequestParser(ParserLimits limits)
    : limits_(limits), parser_(std::make_unique<llhttp_t>()) {
  llhttp_init(parser_.get(), HTTP_REQUEST, &Callbacks::settings());
  parser_->data = this;
}

RequestParser::~RequestParser() = default;

int RequestParser::fail(int status) {
  if (error_status_ == 0) error_status_ = status;
  return HPE_USER;
}

bool RequestParser::grow_header(std::size_t n) {
  header_bytes_ += n;
  if (header_bytes_ <= limits_.max_header_bytes) return true;
  fail(431);  // RFC 6585 §5
  return false;
}

RequestParser::Outcome RequestParser::parse(std::string_view data) {
  Outcome out;
  if (error_status_ != 0) {
    out.status = Status::Error;
    return out;
  }
  llhttp_t* p = parser_.get();
  complete_ = expecting_ = false;
  while (true) {
    if (llhttp_get_errno(p) == HPE_PAUSED) llhttp_resume(p);
    // An Upgrade request (RFC 9110 §7.8) that was not taken is answered as
    // a plain one, and the connection goes on in HTTP/1.1: llhttp pauses
    // after it once more, and is told to go on.
    if (llhttp_get_errno(p) == HPE_PAUSED_UPGRADE) llhttp_resume_after_upgrade(p);
    std::string_view rest = data.substr(out.consumed);
    llhttp_errno_t err = llhttp_execute(p, rest.data(), rest.size());
    if (err == HPE_OK) {
      out.consumed = data.size();
      // HTTP/0.9's request line ("GET /" and CRLF) has no version; llhttp
      // then waits for header fields that never come. It is not spoken
      // here: 505 at once (RFC 9112 §2.3), not a 408 after the timeout.
      if (in_message_ && p->http_major == 0 && p->http_minor == 9) {
        fail(505);
        out.status = Status::Error;
      }
      return out;
    }
    if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
      // Paused in on_message_complete or on_headers_complete: the bytes up
      // to the pause are consumed.
      out.consumed += static_cast<std::size_t>(llhttp_get_error_pos(p) - rest.data());
      if (complete_) {
        out.status = Status::Complete;
        return out;
      }
      if (expecting_) {
        out.status = Status::HeadersExpecting;
        return out;
      }
      continue;  // the pause after an upgrade request already taken
    }
    break;
  }
  out.status = Status::Error;
  if (error_status_ == 0) {
    // RFC 9112 §2.3: a version we do not speak is 505; a method that is a
    // token but not one we know is 501 (RFC 9110 §9.1); anything else that
    // does not parse is 400 (RFC 9112 §3, §6).
    llhttp_errno_t e = llhttp_get_errno(p);
    std::string_view rest = data.substr(out.consumed);
    const char* at = llhttp_get_error_pos(p);
    if (at && at >= rest.data() && at <= rest.data() + rest.size())
      rest.remove_prefix(static_cast<std::size_t>(at - rest.data()));
    if (e == HPE_INVALID_VERSION)
      error_status_ = 505;
    else if (e == HPE_INVALID_METHOD && unknown_method(rest))
      error_status_ = 501;
    else
      error_status_ = 400;
  }
  return out;
}

Request RequestParser::take() {
  complete_ = false;
  return std::move(current_);
}

const char* RequestParser::error_name() const {
  return llhttp_errno_name(llhttp_get_errno(parser_.get()));
}

}  // namespace synack::apps::http
