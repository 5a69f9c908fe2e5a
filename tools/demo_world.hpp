#pragma once
// The demo's small world: a phy::Simulation whose scenarios share one capture
// and one stretch of virtual time each, and whose hosts take their initial
// sequence numbers and ports from the seed and the scenario. Deterministic.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "phy/frame_filter.hpp"
#include "phy/link_params.hpp"
#include "phy/simulation.hpp"
#include "socket/stack.hpp"
#include "tcp/trace.hpp"

namespace synack::demo {

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

  Instant now() const { return sim_.now(); }
  Instant start() const { return start_; }
  // Time since the scenario started.
  Duration elapsed() const { return sim_.now() - start_; }
  Instant at(Duration since_start) const { return start_ + since_start; }

  // Called after every event handled (to sample queues, drive applications).
  void on_step(std::function<void()> f) { sim_.on_step(std::move(f)); }

  bool step(Instant limit) { return sim_.step(limit); }
  void run_until(Instant t) { sim_.run_until(t); }
  void run_for(Duration d) { sim_.run_for(d); }
  // Runs until done() or the limit; returns done().
  bool run_until(const std::function<bool()>& done, Instant limit) {
    return sim_.run_until(done, limit);
  }

  phy::SimNetwork& network() { return sim_.network(); }
  std::uint64_t seed() const { return seed_; }

 private:
  std::uint64_t seed_;
  std::uint64_t salt_;
  Instant start_;
  phy::Simulation sim_;
};

}  // namespace synack::demo
