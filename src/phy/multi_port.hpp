#pragma once
// One simulated host's device over all its SimPorts: receives from the ports
// in the order they were added and transmits each frame on the port whose
// link leads to its IPv4 destination (a host with several cables, no switch
// needed). With a single port every frame takes it.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "iface/device.hpp"
#include "phy/sim_network.hpp"
#include "wire/ipv4_address.hpp"

namespace synack::phy {

class MultiPort : public iface::Device {
 public:
  void add(SimPort& port, wire::Ipv4Address peer);

  iface::DeviceCaps caps() const override;
  std::optional<std::span<const std::uint8_t>> receive(Instant now) override;
  void transmit(Instant now, std::span<const std::uint8_t> frame) override;

  bool rx_pending() const {
    for (const Route& r : routes_)
      if (r.port->rx_pending() > 0) return true;
    return false;
  }
  std::uint64_t unroutable() const { return unroutable_; }

 private:
  struct Route {
    SimPort* port;
    wire::Ipv4Address peer;
  };
  std::vector<Route> routes_;
  iface::DeviceCaps caps_;
  std::uint64_t unroutable_ = 0;
};

}  // namespace synack::phy
