#include "phy/multi_port.hpp"

#include "wire/bytes.hpp"

namespace synack::phy {

void MultiPort::add(SimPort& port, wire::Ipv4Address peer) {
  routes_.push_back(Route{&port, peer});
  // A port's MTU is fixed when it is made: the smallest one, computed once
  // here rather than on each of the interface's two calls per poll.
  auto pc = port.caps();
  if (routes_.size() == 1 || pc.mtu < caps_.mtu) caps_.mtu = pc.mtu;
}

iface::DeviceCaps MultiPort::caps() const {
  return caps_;
}

std::optional<std::span<const std::uint8_t>> MultiPort::receive(Instant now) {
  // Port order, so frames arriving at one instant are taken in the order the
  // links were made: deterministic.
  for (Route& r : routes_) {
    if (r.port->rx_pending() > 0) return r.port->receive(now);
  }
  return std::nullopt;
}

void MultiPort::transmit(Instant now, std::span<const std::uint8_t> frame) {
  if (routes_.size() == 1) {
    routes_.front().port->transmit(now, frame);
    return;
  }
  if (frame.size() >= 20) {
    wire::Ipv4Address dst(wire::load_be32(frame, 16));  // the IPv4 destination
    for (Route& r : routes_) {
      if (r.peer == dst) {
        r.port->transmit(now, frame);
        return;
      }
    }
  }
  ++unroutable_;
}

}  // namespace synack::phy
