#include "apps/nat/port_forward.hpp"

#include <fmt/format.h>

#include <charconv>

namespace synack::nat {
namespace {

std::optional<std::uint16_t> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  for (char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  unsigned v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  if (v < 1 || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

}  // namespace

std::string PortForward::to_string() const {
  if (first == last) return fmt::format("{}:{}={}", nat::to_string(proto), first, to.to_string());
  return fmt::format("{}:{}-{}={}", nat::to_string(proto), first, last, to.to_string());
}

std::optional<PortForward> PortForward::parse(std::string_view text, std::string* error) {
  auto bad = [&](const std::string& why) -> std::optional<PortForward> {
    if (error) *error = why;
    return std::nullopt;
  };
  PortForward f;
  auto colon = text.find(':');
  auto eq = text.find('=');
  if (colon == std::string_view::npos || eq == std::string_view::npos || eq < colon)
    return bad("expected PROTO:PORT[-PORT]=IP:PORT like tcp:3390=10.0.1.201:3389");
  std::string_view proto = text.substr(0, colon);
  if (proto == "tcp")
    f.proto = Protocol::Tcp;
  else if (proto == "udp")
    f.proto = Protocol::Udp;
  else
    return bad("protocol must be tcp or udp, got '" + std::string(proto) + "'");
  std::string_view ports = text.substr(colon + 1, eq - colon - 1);
  auto dash = ports.find('-');
  auto p1 = parse_port(ports.substr(0, dash));
  auto p2 = dash == std::string_view::npos ? p1 : parse_port(ports.substr(dash + 1));
  if (!p1 || !p2) return bad("external port must be 1..65535 (or a range like 6000-6009)");
  if (*p2 < *p1) return bad("port range must ascend");
  f.first = *p1;
  f.last = *p2;
  std::string_view target = text.substr(eq + 1);
  auto tc = target.rfind(':');
  if (tc == std::string_view::npos) return bad("target must be IP:PORT");
  auto addr = wire::Ipv4Address::parse(target.substr(0, tc));
  if (!addr) return bad("bad target address '" + std::string(target.substr(0, tc)) + "'");
  auto port = parse_port(target.substr(tc + 1));
  if (!port) return bad("target port must be 1..65535");
  if (std::uint32_t(*port) + (f.last - f.first) > 65535)
    return bad("target port range runs past 65535");
  f.to = {*addr, *port};
  return f;
}

}  // namespace synack::nat
