#pragma once
// HTTP/1.1 request parsing (RFC 9112) by llhttp, Node's parser: this is only
// the glue that turns its callbacks into Request values, one request at a
// time, and enforces the size limits. No bytes are parsed by hand.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "apps/http/http_message.hpp"

struct llhttp__internal_s;  // llhttp_t, from <llhttp.h>

namespace synack::apps::http {

struct ParserLimits {
  std::size_t max_header_bytes = 16 * 1024;  // request line + fields: 431 (RFC 6585 §5) beyond
  std::size_t max_target_bytes = 8 * 1024;   // request-target: 414 (RFC 9110 §15.5.15) beyond
  std::size_t max_body_bytes = 1 << 20;      // content: 413 (RFC 9110 §15.5.14) beyond
};

class RequestParser {
 public:
  enum class Status {
    NeedMore,          // everything consumed, the request is not complete yet
    HeadersExpecting,  // the header section asked for `Expect: 100-continue`
    Complete,          // take() the request; bytes after it are not consumed
    Error,             // the stream is unusable; error_status() says how to answer
  };
  struct Outcome {
    Status status = Status::NeedMore;
    std::size_t consumed = 0;
  };

  explicit RequestParser(ParserLimits limits = {});
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Parses `data` up to the end of one request (or the point where the
  // client expects a 100 Continue): the rest is for the next call.
  Outcome parse(std::string_view data);
  // The request completed by the last parse().
  Request take();
  // RFC 9112 §9.3: does the connection persist after this request (1.1
  // without `Connection: close`, or 1.0 with `Connection: keep-alive` and
  // no Transfer-Encoding, §6.1)?
  bool keep_alive() const { return keep_alive_; }
  // Some bytes of a request arrived, but not all of it.
  bool mid_request() const { return in_message_; }
  // After Status::Error: 400, 413, 414, 431, 501 or 505.
  int error_status() const { return error_status_; }
  // llhttp's name for the error ("HPE_INVALID_METHOD"), for counters.
  const char* error_name() const;

 private:
  struct Callbacks;
  int fail(int status);
  bool grow_header(std::size_t n);

  ParserLimits limits_;
  std::unique_ptr<::llhttp__internal_s> parser_;
  Request current_;
  std::string field_, value_;
  std::size_t header_bytes_ = 0;
  bool in_message_ = false;
  bool complete_ = false;
  bool expecting_ = false;
  bool keep_alive_ = true;
  bool framing_close_ = false;  // HTTP/1.0 with Transfer-Encoding (RFC 9112 §6.1)
  int error_status_ = 0;
};

}  // namespace synack::apps::http
