#pragma once
// The URLs `synack fetch` accepts (RFC 3986 with RFC 9110 §4.2's http and
// https schemes): an IPv4 literal host, an optional port and a path; and the
// resolution of the references a page makes (RFC 3986 §5.2) against it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wire/ipv4_address.hpp"

namespace synack::apps::http {

struct FetchUrl {
  std::string scheme;  // "http" or "https"
  // The server's address. When the URL named a host (`name`, lower case),
  // the caller resolves it and sets `host` before fetching.
  wire::Ipv4Address host;
  std::string name;
  std::uint16_t port = 80;
  std::string target = "/";  // origin-form: path and query, no fragment

  bool tls() const { return scheme == "https"; }
  // "10.0.0.2:80" or "members.example:80" (the port always shown).
  std::string authority() const;
  // The name TLS sends as SNI and checks the certificate against: the host
  // name, or else the address.
  std::string tls_name() const { return name.empty() ? host.to_string() : name; }
  // "http://10.0.0.2:80/a.png"
  std::string text() const;
  // The Host header (RFC 9110 §7.2): the port only when not the default.
  std::string host_header() const;
};

// nullopt and `err` set ("unsupported scheme 'ftp'", ...) when `text` is not
// an http or https URL with an IPv4 literal host, or, with `allow_names`, a
// host name (RFC 1123 §2.1 labels; it goes into `name`, `host` stays 0.0.0.0).
std::optional<FetchUrl> parse_fetch_url(std::string_view text, std::string* err,
                                        bool allow_names = false);

// A reference from a page at `base` (absolute, "/abs", "rel", "//host/p", with
// "." and ".." segments) made absolute; nullopt when it is not http(s) or not
// fetchable (data:, javascript:, mailto:, a name host).
std::optional<FetchUrl> resolve_reference(const FetchUrl& base, std::string_view ref);

}  // namespace synack::apps::http
