#pragma once
// Serves GET and HEAD from a FileSource (RFC 9110): `/` is /index.html,
// Content-Type follows the extension, a strong ETag from the content answers
// If-Match with 412 when it differs (§13.1.1) and If-None-Match with 304
// (§13.1.2), a single byte Range on GET gets 206 or 416 (§14; HEAD ignores
// Range, §14.2), and a directory without its trailing slash is a 301 to it.
// The content is streamed from the source (Response::source), not copied.
#include <optional>
#include <string>
#include <string_view>

#include "apps/http/file_source.hpp"
#include "apps/http/http_message.hpp"

namespace synack::apps::http {

class StaticFileHandler {
 public:
  explicit StaticFileHandler(const FileSource& files) : files_(files) {}
  Response operator()(const Request& req) const;

 private:
  const FileSource& files_;
};

// "text/html; charset=utf-8" for "/a/index.html"; application/octet-stream
// when the extension is unknown.
std::string_view content_type_for(std::string_view path);
// "%41b" -> "Ab"; nullopt on a bad escape or an encoded NUL.
std::optional<std::string> percent_decode(std::string_view s);

// A byte range of a representation `length` bytes long (RFC 9110 §14.1.2).
struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
};
enum class RangeResult { Ignore, Satisfiable, Unsatisfiable };
// Parses a Range field value. One range only: anything else (several
// ranges, another unit, a syntax error) is ignored, which §14.2 allows.
RangeResult parse_range(std::string_view value, std::uint64_t length, ByteRange& out);

}  // namespace synack::apps::http
