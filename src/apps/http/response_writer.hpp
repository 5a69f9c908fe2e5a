#pragma once
// Serializes a Response as HTTP/1.1 bytes (RFC 9112 §4 status line, §5
// fields, §6 framing, §7.1 chunked coding).
#include <string>

#include "apps/http/http_message.hpp"

namespace synack::apps::http {

struct ResponseFraming {
  int request_minor = 1;       // the request's HTTP/1.x minor version
  bool head = false;           // answering HEAD: fields only (RFC 9110 §9.3.2)
  bool close = false;          // `Connection: close`, the last response (RFC 9112 §9.6)
  bool keep_alive_10 = false;  // HTTP/1.0 client asked to keep the connection
  std::string_view date;       // IMF-fixdate for `Date` (RFC 9110 §6.6.1); "" leaves it out
  // With Response::source: write the header section only; the caller sends
  // the source's bytes after it (a streamed body).
  bool stream_source = false;
};

// Appends the response's bytes to `out`. A source (Response::source) is
// read in whole unless `stream_source`.
void write_response(const Response& r, const ResponseFraming& f, std::string& out);
// "HTTP/1.1 100 Continue\r\n\r\n" (RFC 9110 §15.2.1).
void write_continue(std::string& out);

}  // namespace synack::apps::http
