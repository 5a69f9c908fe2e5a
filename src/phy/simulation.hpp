#pragma once
// Runs any number of simulated hosts (socket::Stack) over a SimNetwork on one
// virtual clock: each step jumps to the next frame arrival or timer deadline
// and polls the hosts that have work. A host may have several links (its
// device is a MultiPort) and a FilteredPort for targeted losses.
// Deterministic: same seed, same run.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "iface/interface.hpp"
#include "phy/frame_filter.hpp"
#include "phy/link_params.hpp"
#include "phy/multi_port.hpp"
#include "phy/sim_network.hpp"
#include "socket/stack.hpp"

namespace synack::phy {

class Simulation {
 public:
  explicit Simulation(std::uint64_t seed, Instant start = Instant{});

  socket::Stack& add_host(const iface::InterfaceConfig& cfg);
  // A point-to-point link between two hosts; a host may have several.
  void link(socket::Stack& a, socket::Stack& b, const LinkParams& a_to_b, const LinkParams& b_to_a);
  void link(socket::Stack& a, socket::Stack& b, const LinkParams& both) { link(a, b, both, both); }
  // The host's device wrapped in a FilteredPort (made on first use), for
  // dropping chosen segments.
  FilteredPort& filter(socket::Stack& host);

  SimNetwork& network() { return net_; }
  Instant now() const { return net_.now(); }
  // Records every host's segments and state changes, and the links' losses.
  void set_trace(tcp::Trace* trace);
  // Captures every frame sent on any link.
  void set_pcap(PcapWriter* pcap);
  // Called after every step (to sample queues or drive applications).
  void on_step(std::function<void()> f) { on_step_ = std::move(f); }

  // Moves to the next event no later than `limit` and handles it; false (with
  // the clock at `limit`) when nothing happens before then.
  bool step(Instant limit);
  void run_until(Instant t);
  void run_for(Duration d) { run_until(now() + d); }
  // Runs until `done()` holds or `limit`; returns done().
  bool run_until(const std::function<bool()>& done, Instant limit);

 private:
  struct Host {
    std::unique_ptr<socket::Stack> stack;
    std::unique_ptr<MultiPort> ports;
    std::unique_ptr<FilteredPort> filter;
    Instant poll_at = kNever;  // the stack's deadline as the step began
    iface::Device& device() { return filter ? static_cast<iface::Device&>(*filter) : *ports; }
  };
  Host& host_of(const socket::Stack& s);
  void advance_clock(Instant t);

  SimNetwork net_;
  std::vector<Host> hosts_;
  tcp::Trace* trace_ = nullptr;
  PcapWriter* pcap_ = nullptr;
  std::function<void()> on_step_;
};

}  // namespace synack::phy
