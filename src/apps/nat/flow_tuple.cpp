#include "apps/nat/flow_tuple.hpp"

#include <fmt/format.h>

namespace synack::nat {

const char* to_string(Protocol p) {
  switch (p) {
    case Protocol::Icmp:
      return "icmp";
    case Protocol::Tcp:
      return "tcp";
    case Protocol::Udp:
      return "udp";
  }
  return "?";
}

std::string FlowTuple::to_string() const {
  return fmt::format("{} {}:{} -> {}:{}", nat::to_string(proto), src.to_string(), src_port,
                     dst.to_string(), dst_port);
}

std::string Endpoint::to_string() const {
  return fmt::format("{}:{}", addr.to_string(), port);
}

}  // namespace synack::nat
