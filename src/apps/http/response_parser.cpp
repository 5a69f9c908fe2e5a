#include "apps/http/response_parser.hpp"

#include <llhttp.h>

namespace synack::apps::http {

namespace {
ResponseParser* self(llhttp_t* p) {
  return static_cast<ResponseParser*>(p->data);
}
}  // namespace

struct ResponseParser::Callbacks {
  static int on_message_begin(llhttp_t* p) {
    ResponseParser* s = self(p);
    s->current_ = Response{};
    s->field_.clear();
    s->value_.clear();
    s->in_message_ = true;
    return 0;
  }
  static int on_header_field(llhttp_t* p, const char* at, std::size_t n) {
    self(p)->field_.append(at, n);
    return 0;
  }
  static int on_header_value(llhttp_t* p, const char* at, std::size_t n) {
    self(p)->value_.append(at, n);
    return 0;
  }
  static int on_header_value_complete(llhttp_t* p) {
    ResponseParser* s = self(p);
    s->current_.headers.emplace_back(std::move(s->field_), std::move(s->value_));
    s->field_.clear();
    s->value_.clear();
    return 0;
  }
  static int on_headers_complete(llhttp_t* p) {
    ResponseParser* s = self(p);
    s->current_.status = p->status_code;
    // RFC 9110 §9.3.2: a response to HEAD has no content, whatever its
    // Content-Length says; 1 tells llhttp so.
    return s->head_ && p->status_code >= 200 ? 1 : 0;
  }
  static int on_body(llhttp_t* p, const char* at, std::size_t n) {
    ResponseParser* s = self(p);
    if (s->current_.body.size() + n > s->max_body_) {
      s->too_big_ = true;
      return HPE_USER;
    }
    s->current_.body.append(at, n);
    return 0;
  }
  static int on_message_complete(llhttp_t* p) {
    ResponseParser* s = self(p);
    s->in_message_ = false;
    // Interim responses (100 Continue, 103 Early Hints) precede the final
    // one: skip them (RFC 9110 §15.2). A 101 ends HTTP/1.1 on the connection.
    if (s->current_.status >= 100 && s->current_.status < 200 && s->current_.status != 101)
      return 0;
    s->keep_alive_ = llhttp_should_keep_alive(p) != 0;
    s->complete_ = true;
    return HPE_PAUSED;
  }

  static const llhttp_settings_t& settings() {
    static const llhttp_settings_t st = [] {
      llhttp_settings_t x;
      llhttp_settings_init(&x);
      x.on_message_begin = on_message_begin;
      x.on_header_field = on_header_field;
      x.on_header_value = on_header_value;
      x.on_header_value_complete = on_header_value_complete;
      x.on_headers_complete = on_headers_complete;
      x.on_body = on_body;
      x.on_message_complete = on_message_complete;
      return x;
    }();
    return st;
  }
};

ResponseParser::ResponseParser(std::size_t max_body_bytes)
    : max_body_(max_body_bytes), parser_(std::make_unique<llhttp_t>()) {
  llhttp_init(parser_.get(), HTTP_RESPONSE, &Callbacks::settings());
  parser_->data = this;
}

ResponseParser::~ResponseParser() = default;

ResponseParser::Outcome ResponseParser::parse(std::string_view data, bool head) {
  Outcome out;
  llhttp_t* p = parser_.get();
  if (too_big_) {
    out.status = Status::Error;
    return out;
  }
  if (llhttp_get_errno(p) == HPE_PAUSED) llhttp_resume(p);
  head_ = head;
  complete_ = false;
  llhttp_errno_t err = llhttp_execute(p, data.data(), data.size());
  if (err == HPE_OK) {
    out.consumed = data.size();
  } else if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
    out.consumed = static_cast<std::size_t>(llhttp_get_error_pos(p) - data.data());
    out.status = complete_ ? Status::Complete : Status::NeedMore;
  } else {
    out.status = Status::Error;
  }
  return out;
}

ResponseParser::Status ResponseParser::finish() {
  llhttp_t* p = parser_.get();
  if (llhttp_get_errno(p) == HPE_PAUSED) llhttp_resume(p);
  complete_ = false;
  llhttp_errno_t err = llhttp_finish(p);
  if (complete_) return Status::Complete;
  // Closed between responses: nothing was cut short.
  return err == HPE_OK && !in_message_ ? Status::NeedMore : Status::Error;
}

Response ResponseParser::take() {
  complete_ = false;
  return std::move(current_);
}

}  // namespace synack::apps::http
