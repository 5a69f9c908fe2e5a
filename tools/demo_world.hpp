#pragma once
// The demo's small world: hosts (socket::Stack) on a phy::SimNetwork, one
// virtual clock, like phy::Simulation but with the device of each host in our
// hands, so that a host can have a FilteredPort (targeted loss) and a server
// can be reached over several links (MultiPort). Deterministic.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "phy/frame_filter.hpp"
#include "phy/link_params.hpp"
#include "phy/sim_network.hpp"
#include "socket/stack.hpp"
#include "tcp/trace.hpp"

namespace synack::demo {

// One host's device over all its SimPorts: receives from the ports in the
// order they were added and transmits each frame on the port whose link
// leads to its destination (a host with several cables, no switch needed).
class MultiPort : public iface::Device {
 public:
  void add(phy::SimPort& port, wire::Ipv4Address peer);

  iface::DeviceCaps caps() const override;
  std::optional<std::span<const std::uint8_t>> receive(Instant now) override;
  void transmit(Instant now, std::span<const std::uint8_t> frame) override;

  bool rx_pending() const;
  std::uint64_t unroutable() const { return unroutable_; }

 private:
  struct Route {
    phy::SimPort* port;
    wire::Ipv4Address peer;
  };
  std::vector<Route> routes_;
  std::uint64_t unroutable_ = 0;
};

class World {
 public:
  // The clock starts at `start` (scenarios run one after the other in one
  // capture, each on its own stretch of virtual time). `salt` (the scenario's
  // number) gives each scenario its own initial sequence numbers and ports.
  World(std::uint64_t seed, std::uint64_t salt, Instant start, tcp::Trace* trace,
        phy::PcapWriter* pcap);
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // A host named `name` at `address`/24; its ISN key comes from the seed.
  socket::Stack& add_host(const std::string& name, wire::Ipv4Address address,
                          const tcp::TcpConfig& tcp = {});
  // A point-to-point link between two hosts (a host may have several).
  void link(socket::Stack& a, socket::Stack& b, const phy::LinkParams& both);
  // The host's device wrapped in a FilteredPort (created on first use).
  phy::FilteredPort& filter(socket::Stack& host);

  Instant now() const { return net_.now(); }
  Instant start() const { return start_; }
  // Time since the scenario started.
  Duration elapsed() const { return net_.now() - start_; }
  Instant at(Duration since_start) const { return start_ + since_start; }

  // Called after every event handled (to sample queues, drive applications).
  void on_step(std::function<void()> f) { on_step_ = std::move(f); }

  bool step(Instant limit);
  void run_until(Instant t);
  void run_for(Duration d) { run_until(now() + d); }
  // Runs until done() or the limit; returns done().
  bool run_until(const std::function<bool()>& done, Instant limit);

  phy::SimNetwork& network() { return net_; }
  std::uint64_t seed() const { return seed_; }

 private:
  struct Host {
    std::unique_ptr<socket::Stack> stack;
    std::unique_ptr<MultiPort> ports;
    std::unique_ptr<phy::FilteredPort> filter;
    iface::Device& device() {
      return filter ? static_cast<iface::Device&>(*filter) : static_cast<iface::Device&>(*ports);
    }
  };
  Host& host_of(const socket::Stack& s);
  void advance_clock(Instant t);

  std::uint64_t seed_;
  std::uint64_t salt_;
  Instant start_;
  phy::SimNetwork net_;
  tcp::Trace* trace_;
  phy::PcapWriter* pcap_;
  std::vector<Host> hosts_;
  std::function<void()> on_step_;
};

}  // namespace synack::demo
