#include "apps/http/static_file_handler.hpp"

#include <fmt/format.h>
#include <charconv>

namespace synack::apps::http {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool digits_to_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// RFC 9110 §13.1.2: If-None-Match is "*" or a list of entity tags, compared
// weakly (W/ prefixes ignored).
bool none_match_hits(std::string_view value, std::string_view etag) {
  value = trim(value);
  if (value == "*") return true;
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    std::string_view tag = trim(value.substr(0, comma));
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == etag) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

// RFC 9110 §13.1.1: If-Match is "*" or a list of entity tags, compared
// strongly (a weak tag never matches).
bool match_hits(std::string_view value, std::string_view etag) {
  value = trim(value);
  if (value == "*") return true;
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    std::string_view tag = trim(value.substr(0, comma));
    if (tag == etag) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string_view content_type_for(std::string_view path) {
  std::size_t slash = path.rfind('/');
  std::size_t dot = path.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
    return "application/octet-stream";
  std::string ext;
  for (char c : path.substr(dot + 1))
    ext += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {"html", "text/html; charset=utf-8"},
      {"htm", "text/html; charset=utf-8"},
      {"css", "text/css"},
      {"js", "application/javascript"},
      {"mjs", "application/javascript"},
      {"json", "application/json"},
      {"txt", "text/plain; charset=utf-8"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"svg", "image/svg+xml"},
      {"ico", "image/x-icon"},
      {"wasm", "application/wasm"},
      {"avif", "image/avif"},
      {"woff", "font/woff"},
      {"woff2", "font/woff2"},
      {"ttf", "font/ttf"},
      {"otf", "font/otf"},
      {"pdf", "application/pdf"},
      {"xml", "application/xml"},
      {"csv", "text/csv; charset=utf-8"},
      {"map", "application/json"},
      {"mp4", "video/mp4"},
      {"webm", "video/webm"},
      {"mp3", "audio/mpeg"},
      {"wav", "audio/wav"},
      {"ogg", "audio/ogg"},
  };
  for (const auto& [e, t] : kTypes)
    if (ext == e) return t;
  return "application/octet-stream";
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hex_value(s[i + 1]);
    int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0') return std::nullopt;
    out += c;
    i += 2;
  }
  return out;
}

RangeResult parse_range(std::string_view value, std::uint64_t length, ByteRange& out) {
  value = trim(value);
  if (value.substr(0, 6) != "bytes=") return RangeResult::Ignore;
  std::string_view spec = trim(value.substr(6));
  if (spec.find(',') != std::string_view::npos) return RangeResult::Ignore;
  std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return RangeResult::Ignore;
  std::string_view a = trim(spec.substr(0, dash)), b = trim(spec.substr(dash + 1));
  std::uint64_t first = 0, last = 0;
  if (a.empty()) {
    // suffix-range "-N": the last N bytes (RFC 9110 §14.1.1)
    if (!digits_to_u64(b, last)) return RangeResult::Ignore;
    if (last == 0 || length == 0) return RangeResult::Unsatisfiable;
    out.first = length - std::min(last, length);
    out.last = length - 1;
    return RangeResult::Satisfiable;
  }
  if (!digits_to_u64(a, first)) return RangeResult::Ignore;
  if (b.empty()) {
    last = length ? length - 1 : 0;
  } else if (!digits_to_u64(b, last) || last < first) {
    return RangeResult::Ignore;  // invalid range-spec: the field is ignored
  }
  if (first >= length) return RangeResult::Unsatisfiable;  // §14.1.1
  out.first = first;
  out.last = std::min(last, length - 1);
  return RangeResult::Satisfiable;
}

Response StaticFileHandler::operator()(const Request& req) const {
  bool head = req.method == "HEAD";
  if (req.method != "GET" && !head) {
    Response r = simple_response(405);
    r.set("Allow", "GET, HEAD");  // RFC 9110 §15.5.6
    return r;
  }
  auto decoded = percent_decode(req.path());
  if (!decoded || !safe_path(*decoded)) return simple_response(decoded ? 404 : 400);
  std::string path = *decoded;
  if (path.back() == '/') path += "index.html";  // `/` serves index.html
  auto file = files_.load(path);
  if (!file) return simple_response(404);
  if (file->directory) {
    // A directory without its trailing slash: relative links in its index
    // resolve against "DIR/", so send the client there (RFC 9110 §15.4.2).
    Response m = simple_response(301);
    std::string_view target = req.target;
    std::size_t q = target.find('?');
    std::string location = std::string(req.path()) + "/";
    if (q != std::string_view::npos) location += target.substr(q);
    m.set("Location", location);
    return m;
  }

  const std::string& etag = file->etag;
  std::uint64_t size = file->size();
  Response r;
  r.set("Content-Type", std::string(content_type_for(path)));
  r.set("ETag", etag);
  r.set("Accept-Ranges", "bytes");
  // RFC 9110 §13.2.2: If-Match first; false means 412 and the method is
  // not performed (§13.1.1).
  if (auto im = req.header("If-Match"); im && !match_hits(*im, etag)) {
    Response pf = simple_response(412);
    pf.set("ETag", etag);
    return pf;
  }
  // Then If-None-Match, before Range; a match on GET or HEAD is 304 with
  // the validator and no content.
  if (auto inm = req.header("If-None-Match"); inm && none_match_hits(*inm, etag)) {
    Response nm;
    nm.status = 304;
    nm.set("ETag", etag);
    return nm;
  }
  ByteRange range;
  RangeResult rr = RangeResult::Ignore;
  // §14.2: range handling is defined for GET only; any other method (HEAD
  // included) ignores the field.
  if (auto rv = req.header("Range"); rv && req.method == "GET") {
    rr = parse_range(*rv, size, range);
    // If-Range (§13.1.5): the range only applies when the tag still matches.
    if (auto ir = req.header("If-Range"); ir && trim(*ir) != etag) rr = RangeResult::Ignore;
  }
  if (rr == RangeResult::Unsatisfiable) {
    Response u = simple_response(416);
    u.set("Content-Range", fmt::format("bytes */{}", size));  // §15.5.17
    return u;
  }
  if (rr == RangeResult::Satisfiable) {
    r.status = 206;
    r.set("Content-Range", fmt::format("bytes {}-{}/{}", range.first, range.last, size));
    r.source = slice_body(file->body, range.first, range.last - range.first + 1);
    return r;
  }
  if (head) {
    r.head_length = size;
  } else {
    r.source = file->body;
  }
  return r;
}

}  // namespace synack::apps::http
