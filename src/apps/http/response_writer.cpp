#include "apps/http/response_writer.hpp"

#include <fmt/format.h>

namespace synack::apps::http {

namespace {

void field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

// Fields the handler may not set: framing and connection management belong
// to this layer (RFC 9112 §6, §9).
bool framing_field(std::string_view name) {
  return field_name_equals(name, "Content-Length") ||
         field_name_equals(name, "Transfer-Encoding") || field_name_equals(name, "Connection");
}

}  // namespace

void write_continue(std::string& out) {
  out.append("HTTP/1.1 100 Continue\r\n\r\n");
}

void write_response(const Response& r, const ResponseFraming& f, std::string& out) {
  // RFC 9110 §6.2: a server sends its own highest minor version of the
  // request's major version, HTTP/1.1, even to a 1.0 client.
  out.append(fmt::format("HTTP/1.1 {} {}\r\n", r.status, reason_phrase(r.status)));
  // RFC 9110 §6.6.1: an origin server with a clock sends Date in every
  // response (MUST for 2xx-4xx, MAY otherwise: sent in all).
  if (!f.date.empty()) field(out, "Date", f.date);
  field(out, "Server", "synack");
  for (const auto& [n, v] : r.headers)
    if (!framing_field(n)) field(out, n, v);
  if (f.close) {
    field(out, "Connection", "close");
  } else if (f.request_minor == 0 && f.keep_alive_10) {
    field(out, "Connection", "keep-alive");  // RFC 9112 §9.3 (Appendix C.2.2)
  }
  // RFC 9112 §6.3: 1xx, 204 and 304 responses end at the header section;
  // 204 carries no Content-Length (RFC 9110 §8.6), a 304 need not.
  bool bodiless = r.status < 200 || r.status == 204 || r.status == 304;
  if (bodiless) {
    out.append("\r\n");
    return;
  }
  // Chunked only to HTTP/1.1 clients (RFC 9112 §7: a 1.0 recipient cannot
  // read it); a 1.0 client gets the pieces joined with a Content-Length.
  if (r.chunked && f.request_minor >= 1) {
    field(out, "Transfer-Encoding", "chunked");
    out.append("\r\n");
    if (f.head) return;
    for (const std::string& c : r.chunks) {
      if (c.empty()) continue;  // a zero-size chunk would end the body
      out.append(fmt::format("{:x}\r\n", c.size()));
      out.append(c);
      out.append("\r\n");
    }
    out.append("0\r\n\r\n");  // last-chunk, no trailers (RFC 9112 §7.1)
    return;
  }
  if (r.source) {
    field(out, "Content-Length", std::to_string(r.source->size()));
    out.append("\r\n");
    if (f.head || f.stream_source) return;
    std::size_t at = out.size();
    out.resize(at + static_cast<std::size_t>(r.source->size()));
    out.resize(at + r.source->read(0, out.data() + at, out.size() - at));
    return;
  }
  std::size_t len = 0;
  if (r.chunked) {
    for (const std::string& c : r.chunks)
      len += c.size();
  } else {
    len = r.body.size();
  }
  std::uint64_t declared = r.head_length ? *r.head_length : len;
  field(out, "Content-Length", std::to_string(declared));
  out.append("\r\n");
  if (f.head) return;
  if (r.chunked) {
    for (const std::string& c : r.chunks)
      out.append(c);
  } else {
    out.append(r.body);
  }
}

}  // namespace synack::apps::http
