#pragma once
// A destination NAT rule ("port mapping" on a home router): packets for the
// outside address's external port(s) go to an inside host, a range mapping
// port for port (`tcp:3390=10.0.1.201:3389`, `udp:6000-6009=10.0.1.5:7000`
// sends 6003 to 7003).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "apps/nat/flow_tuple.hpp"

namespace synack::nat {

struct PortForward {
  Protocol proto = Protocol::Tcp;
  std::uint16_t first = 0;  // external ports first..last
  std::uint16_t last = 0;
  Endpoint to;  // where `first` goes; first + i goes to to.port + i

  bool covers(Protocol p, std::uint16_t port) const {
    return p == proto && port >= first && port <= last;
  }
  Endpoint target(std::uint16_t port) const {
    return {to.addr, static_cast<std::uint16_t>(to.port + (port - first))};
  }
  bool overlaps(const PortForward& o) const {
    return proto == o.proto && first <= o.last && o.first <= last;
  }
  // "tcp:3390=10.0.1.201:3389", as parse() reads it.
  std::string to_string() const;

  // Parses PROTO:PORT[-PORT]=IP:PORT (PROTO tcp or udp; ports 1..65535,
  // decimal; the range ascending and its image within 1..65535). On failure
  // nullopt and `error` says what is wrong.
  static std::optional<PortForward> parse(std::string_view text, std::string* error);
};

}  // namespace synack::nat
