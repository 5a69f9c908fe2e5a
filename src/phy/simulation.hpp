#pragma once
// Runs many simulated hosts (socket::Stack) over a SimNetwork on one virtual
// clock: each step jumps to the next frame arrival or timer deadline and polls
// the hosts that have work. Deterministic: same seed, same run.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "iface/interface.hpp"
#include "phy/link_params.hpp"
#include "phy/sim_network.hpp"
#include "socket/stack.hpp"

namespace synack::phy {

class Simulation {
 public:
  explicit Simulation(std::uint64_t seed) : net_(seed) {}

  // A host with its own port on the network; the port takes the host's name.
  socket::Stack& add_host(const iface::InterfaceConfig& cfg);
  void link(socket::Stack& a, socket::Stack& b, const LinkParams& a_to_b, const LinkParams& b_to_a);
  void link(socket::Stack& a, socket::Stack& b, const LinkParams& both) { link(a, b, both, both); }

  SimNetwork& network() { return net_; }
  Instant now() const { return net_.now(); }
  void set_trace(tcp::Trace* trace);
  SimPort& port_of(const socket::Stack& host);

  // Moves to the next event no later than `limit` and handles it; false (with
  // the clock at `limit`) when nothing happens before then.
  bool step(Instant limit);
  void run_until(Instant t);
  void run_for(Duration d) { run_until(now() + d); }
  // Runs until `done()` holds or `limit`; returns done().
  bool run_until(const std::function<bool()>& done, Instant limit);

 private:
  void advance_clock(Instant t);

  struct Host {
    std::unique_ptr<socket::Stack> stack;
    SimPort* port;
  };
  SimNetwork net_;
  std::vector<Host> hosts_;
};

}  // namespace synack::phy
