#pragma once
// A parsed HTTP request and the response a handler gives back, the same for
// HTTP/1.1 and HTTP/2 (RFC 9110's message abstraction, §6): method, target,
// header fields and content; framing (Content-Length, chunked, DATA frames)
// is each protocol's business.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace synack::apps::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Field names compare case-insensitively (RFC 9110 §5.1).
bool field_name_equals(std::string_view a, std::string_view b);
// The first field named `name`, or nullopt.
std::optional<std::string_view> find_field(const HeaderList& h, std::string_view name);
// True when the comma-separated list value of every `name` field holds
// `token` (case-insensitive), like "Connection: keep-alive, Upgrade".
bool field_has_token(const HeaderList& h, std::string_view name, std::string_view token);

struct Request {
  std::string method;  // "GET"
  std::string target;  // origin-form "/a/b?c" (RFC 9112 §3.2.1)
  int version_major = 1;
  int version_minor = 1;
  HeaderList headers;  // names as received
  std::string body;
  bool body_chunked = false;  // it arrived with Transfer-Encoding: chunked

  std::optional<std::string_view> header(std::string_view name) const {
    return find_field(headers, name);
  }
  // The target's path without the query.
  std::string_view path() const;
};

// Content read as it is sent (a file), so that a response waiting for a
// slow client holds a handle, not the bytes.
class BodySource {
 public:
  virtual ~BodySource() = default;
  virtual std::uint64_t size() const = 0;
  // Copies up to `n` bytes from `offset` into `buf`; returns how many (fewer
  // only at the end, 0 on a read error).
  virtual std::size_t read(std::uint64_t offset, char* buf, std::size_t n) const = 0;
};
using BodySourcePtr = std::shared_ptr<const BodySource>;
// Bytes held in memory, shared rather than copied.
BodySourcePtr string_body(std::shared_ptr<const std::string> bytes);
// `src`'s bytes [first, first + length) (a Range, RFC 9110 §14).
BodySourcePtr slice_body(BodySourcePtr src, std::uint64_t first, std::uint64_t length);
// The whole content (for small sources and tests).
std::string read_all(const BodySource& src);

struct Response {
  int status = 200;
  HeaderList headers;  // without framing fields: the protocol adds those
  std::string body;
  // Send the body with Transfer-Encoding: chunked where the protocol has it
  // (HTTP/1.1); `chunks` then holds its pieces (body is ignored).
  bool chunked = false;
  std::vector<std::string> chunks;
  // When set, the content comes from here as it is sent (body is ignored).
  BodySourcePtr source;
  // The representation's full length when this is a HEAD answer whose body
  // was left out: Content-Length still says how long a GET's would be
  // (RFC 9110 §9.3.2).
  std::optional<std::uint64_t> head_length;

  void set(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// The small handler API: one request in, one response out.
using Handler = std::function<Response(const Request&)>;

// The reason phrase for a status code ("Not Found"); "" when unknown.
std::string_view reason_phrase(int status);
// A small text/plain response: "404 Not Found\n".
Response simple_response(int status);

}  // namespace synack::apps::http
