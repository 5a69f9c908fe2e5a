#pragma once
// HTTP/1.1 response parsing (RFC 9112) by llhttp, for the client side: the
// glue that turns its callbacks into Response values, one at a time. The
// client says which responses answer HEAD (they have no content, RFC 9110
// §9.3.2); a response without a length ends at the connection's close (RFC
// 9112 §6.3, item 8), reported by finish().
#include <cstddef>
#include <memory>
#include <string_view>

#include "apps/http/http_message.hpp"

struct llhttp__internal_s;  // llhttp_t, from <llhttp.h>

namespace synack::apps::http {

class ResponseParser {
 public:
  enum class Status { NeedMore, Complete, Error };
  struct Outcome {
    Status status = Status::NeedMore;
    std::size_t consumed = 0;
  };

  explicit ResponseParser(std::size_t max_body_bytes = 64 << 20);
  ~ResponseParser();
  ResponseParser(const ResponseParser&) = delete;
  ResponseParser& operator=(const ResponseParser&) = delete;

  // Parses up to the end of one final response; interim 1xx responses (RFC
  // 9110 §15.2) are skipped. `head`: the request it answers was HEAD.
  Outcome parse(std::string_view data, bool head);
  // The peer closed: completes a response delimited by the close.
  Status finish();
  Response take();
  // The connection may carry another request after this response (RFC 9112
  // §9.3).
  bool keep_alive() const { return keep_alive_; }
  // Bytes of a response arrived, but not all of it.
  bool mid_response() const { return in_message_; }

 private:
  struct Callbacks;

  std::size_t max_body_;
  std::unique_ptr<::llhttp__internal_s> parser_;
  Response current_;
  std::string field_, value_;
  bool head_ = false;
  bool in_message_ = false;
  bool complete_ = false;
  bool keep_alive_ = true;
  bool too_big_ = false;
};

}  // namespace synack::apps::http
