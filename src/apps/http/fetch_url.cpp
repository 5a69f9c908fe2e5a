#include "apps/http/fetch_url.hpp"

#include <cctype>
#include <vector>

namespace synack::apps::http {

namespace {

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

// RFC 3986 §5.2.4: removes "." and ".." segments.
std::string remove_dot_segments(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  bool trailing_slash = false;
  while (i <= path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view seg = path.substr(i, j - i);
    trailing_slash = false;
    if (seg == ".") {
      trailing_slash = true;
    } else if (seg == "..") {
      if (!out.empty()) out.pop_back();
      trailing_slash = true;
    } else if (!(seg.empty() && i == 0)) {
      out.emplace_back(seg);
    }
    i = j + 1;
  }
  std::string r;
  for (const auto& s : out)
    r += "/" + s;
  if (r.empty() || trailing_slash) {
    if (r.empty() || r.back() != '/') r += "/";
  }
  return r;
}

// RFC 1123 §2.1: labels of letters, digits and '-' (not at either end), 1-63
// bytes each, 253 in all (a final dot allowed); not all digits.
bool is_host_name(std::string_view h) {
  if (!h.empty() && h.back() == '.') h.remove_suffix(1);
  if (h.empty() || h.size() > 253) return false;
  bool all_digits = true;
  std::size_t label = 0;
  for (std::size_t i = 0; i <= h.size(); ++i) {
    if (i == h.size() || h[i] == '.') {
      if (label == 0 || label > 63 || h[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    char c = h[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    if (c == '-' && label == 0) return false;
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') all_digits = false;
    ++label;
  }
  return !all_digits;
}

}  // namespace

std::string FetchUrl::authority() const {
  return tls_name() + ":" + std::to_string(port);
}

std::string FetchUrl::text() const {
  return scheme + "://" + authority() + target;
}

std::string FetchUrl::host_header() const {
  bool default_port = (tls() && port == 443) || (!tls() && port == 80);
  return default_port ? tls_name() : authority();
}

std::optional<FetchUrl> parse_fetch_url(std::string_view text, std::string* err, bool allow_names) {
  auto fail = [&](std::string why) -> std::optional<FetchUrl> {
    if (err) *err = std::move(why);
    return std::nullopt;
  };
  auto sep = text.find("://");
  if (sep == std::string_view::npos) return fail("expected http://IP[:PORT]/PATH or https://...");
  FetchUrl u;
  u.scheme = lower(text.substr(0, sep));
  if (u.scheme != "http" && u.scheme != "https")
    return fail("unsupported scheme '" + std::string(text.substr(0, sep)) +
                "' (only http and https)");
  std::string_view rest = text.substr(sep + 3);
  if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  std::size_t path_at = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_at);
  std::string_view path = path_at == std::string_view::npos ? "" : rest.substr(path_at);
  if (authority.find('@') != std::string_view::npos) return fail("user info is not supported");
  std::string_view host = authority;
  u.port = u.tls() ? 443 : 80;
  if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    std::string_view p = authority.substr(colon + 1);
    unsigned long v = 0;
    if (p.empty() || p.size() > 5) return fail("bad port '" + std::string(p) + "'");
    for (char c : p) {
      if (!std::isdigit(static_cast<unsigned char>(c)))
        return fail("bad port '" + std::string(p) + "'");
      v = v * 10 + static_cast<unsigned long>(c - '0');
    }
    if (v == 0 || v > 65535) return fail("bad port '" + std::string(p) + "'");
    u.port = static_cast<std::uint16_t>(v);
  }
  if (host.empty()) return fail("no host");
  auto ip = wire::Ipv4Address::parse(host);
  if (!ip && allow_names && is_host_name(host)) {
    u.name = lower(host);
    if (u.name.back() == '.') u.name.pop_back();
  } else if (!ip) {
    return fail("host '" + std::string(host) + "' is not an IPv4 address (names are not resolved)");
  } else {
    std::uint32_t v = ip->to_u32();
    if (v == 0 || (v >> 24) == 127 || (v >> 28) >= 0xe)
      return fail("host '" + std::string(host) + "' is not a unicast address");
    u.host = *ip;
  }
  if (path.empty() || path[0] == '?')
    u.target = "/" + std::string(path);
  else
    u.target = std::string(path);
  for (char c : u.target)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return fail("the path holds a space or control character");
  return u;
}

std::optional<FetchUrl> resolve_reference(const FetchUrl& base, std::string_view ref) {
  while (!ref.empty() && std::isspace(static_cast<unsigned char>(ref.front())))
    ref.remove_prefix(1);
  while (!ref.empty() && std::isspace(static_cast<unsigned char>(ref.back())))
    ref.remove_suffix(1);
  if (auto hash = ref.find('#'); hash != std::string_view::npos) ref = ref.substr(0, hash);
  if (ref.empty()) return std::nullopt;
  auto colon = ref.find(':');
  auto slash = ref.find('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon < slash)) {
    auto u = parse_fetch_url(ref, nullptr);  // has a scheme: absolute
    if (u)
      u->target =
          remove_dot_segments(u->target.substr(0, u->target.find('?'))) +
          (u->target.find('?') == std::string::npos ? "" : u->target.substr(u->target.find('?')));
    return u;
  }
  if (ref.starts_with("//")) return parse_fetch_url(base.scheme + ":" + std::string(ref), nullptr);
  FetchUrl u = base;
  std::string path(ref), query;
  if (auto q = path.find('?'); q != std::string::npos) {
    query = path.substr(q);
    path.resize(q);
  }
  if (path.empty()) {
    std::string base_path = base.target.substr(0, base.target.find('?'));
    u.target = base_path + query;
    return u;
  }
  if (path[0] != '/') {
    std::string base_path = base.target.substr(0, base.target.find('?'));
    path = base_path.substr(0, base_path.rfind('/') + 1) + path;
  }
  u.target = remove_dot_segments(path) + query;
  return u;
}

}  // namespace synack::apps::http
