#include "apps/http/http_message.hpp"

#include <algorithm>

namespace synack::apps::http {

namespace {
char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}
}  // namespace

bool field_name_equals(std::string_view a, std::string_view b) {
  return iequals(a, b);
}

std::optional<std::string_view> find_field(const HeaderList& h, std::string_view name) {
  for (const auto& [n, v] : h)
    if (iequals(n, name)) return std::string_view(v);
  return std::nullopt;
}

bool field_has_token(const HeaderList& h, std::string_view name, std::string_view token) {
  for (const auto& [n, v] : h) {
    if (!iequals(n, name)) continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      std::size_t comma = rest.find(',');
      if (iequals(trim(rest.substr(0, comma)), token)) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

namespace {
class StringBody final : public BodySource {
 public:
  explicit StringBody(std::shared_ptr<const std::string> b) : b_(std::move(b)) {}
  std::uint64_t size() const override { return b_->size(); }
  std::size_t read(std::uint64_t offset, char* buf, std::size_t n) const override {
    if (offset >= b_->size()) return 0;
    return b_->copy(buf, n, static_cast<std::size_t>(offset));
  }

 private:
  std::shared_ptr<const std::string> b_;
};

class SliceBody final : public BodySource {
 public:
  SliceBody(BodySourcePtr src, std::uint64_t first, std::uint64_t length)
      : src_(std::move(src)), first_(first), length_(length) {}
  std::uint64_t size() const override { return length_; }
  std::size_t read(std::uint64_t offset, char* buf, std::size_t n) const override {
    if (offset >= length_) return 0;
    n = static_cast<std::size_t>(std::min<std::uint64_t>(n, length_ - offset));
    return src_->read(first_ + offset, buf, n);
  }

 private:
  BodySourcePtr src_;
  std::uint64_t first_, length_;
};
}  // namespace

BodySourcePtr string_body(std::shared_ptr<const std::string> bytes) {
  return std::make_shared<StringBody>(std::move(bytes));
}

BodySourcePtr slice_body(BodySourcePtr src, std::uint64_t first, std::uint64_t length) {
  return std::make_shared<SliceBody>(std::move(src), first, length);
}

std::string read_all(const BodySource& src) {
  std::string out(static_cast<std::size_t>(src.size()), '\0');
  std::size_t at = 0;
  while (at < out.size()) {
    std::size_t n = src.read(at, out.data() + at, out.size() - at);
    if (n == 0) break;
    at += n;
  }
  out.resize(at);
  return out;
}

std::string_view Request::path() const {
  std::string_view t = target;
  t = t.substr(0, t.find('?'));
  // RFC 9112 §3.2.2: absolute-form "http://host/p" must be accepted; its
  // path is what follows the authority ("/" when there is none).
  if (!t.empty() && t.front() != '/') {
    std::size_t scheme = t.find("://");
    if (scheme == std::string_view::npos) return t;  // authority/asterisk form: not a path
    std::size_t slash = t.find('/', scheme + 3);
    return slash == std::string_view::npos ? std::string_view("/") : t.substr(slash);
  }
  return t;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";
  }
}

Response simple_response(int status) {
  Response r;
  r.status = status;
  r.set("Content-Type", "text/plain");
  r.body = std::to_string(status) + " " + std::string(reason_phrase(status)) + "\n";
  return r;
}

}  // namespace synack::apps::http
