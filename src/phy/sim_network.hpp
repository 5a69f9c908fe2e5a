#pragma once
// A deterministic simulated network: named ports joined by point-to-point
// links, each direction impaired by its own seeded FaultInjector, all on one
// virtual clock that only the caller moves. Hosts use a SimPort as their
// iface::Device; one seed reproduces a whole run.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/ring_queue.hpp"
#include "core/time.hpp"
#include "iface/device.hpp"
#include "phy/fault_injector.hpp"
#include "phy/link_params.hpp"

namespace synack::tcp {
class Trace;
}

namespace synack::phy {

class PcapWriter;
class SimNetwork;

struct SimPortStats {
  std::uint64_t rx_frames = 0;  // handed out by receive()
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_frames = 0;  // accepted by transmit()
  std::uint64_t tx_bytes = 0;
  std::uint64_t tx_no_link = 0;   // dropped: the port is not connected
  std::uint64_t tx_oversize = 0;  // dropped: larger than the MTU
};

// One host's network interface card on the simulated network.
class SimPort : public iface::Device {
 public:
  iface::DeviceCaps caps() const override;
  std::optional<std::span<const std::uint8_t>> receive(Instant now) override;
  void transmit(Instant now, std::span<const std::uint8_t> frame) override;

  const std::string& name() const { return name_; }
  std::size_t index() const { return index_; }  // order of add_port, from 0
  bool connected() const { return link_ != nullptr; }
  // Frames delivered to the port and not yet received.
  std::size_t rx_pending() const { return rx_queue_.size(); }
  const SimPortStats& stats() const { return stats_; }

 private:
  friend class SimNetwork;
  SimPort(SimNetwork& net, std::string name, std::size_t mtu, std::size_t index);

  SimNetwork* net_;
  std::string name_;
  std::size_t mtu_;
  std::size_t index_;
  FaultInjector* link_ = nullptr;     // the direction leaving this port
  FaultInjector* rx_link_ = nullptr;  // the direction arriving here
  RingQueue<std::vector<std::uint8_t>> rx_queue_;
  std::vector<std::uint8_t> rx_current_;  // backs the span receive() returned
  SimPortStats stats_;
};

class SimNetwork {
 public:
  explicit SimNetwork(std::uint64_t seed);
  ~SimNetwork();
  SimNetwork(const SimNetwork&) = delete;
  SimNetwork& operator=(const SimNetwork&) = delete;

  // The port lives as long as the network (its address never changes).
  SimPort& add_port(std::string name, std::size_t mtu = 1500);
  // Joins two unconnected ports; each direction gets its own injector seeded
  // from the network seed and the two port indices. Throws std::logic_error on
  // misuse (a port already connected, a port joined to itself, a foreign port).
  void connect(SimPort& a, SimPort& b, LinkParams a_to_b, LinkParams b_to_a);

  Instant now() const { return now_; }
  // Moves the clock to t (never backwards) and moves every frame whose
  // arrival instant is <= t into its receiving port's queue.
  void advance_to(Instant t);
  // The earliest pending arrival on any link; kNever if none.
  Instant next_delivery() const;

  // Records a TraceKind::SegmentLost event (host = sending port's name) for
  // every TCP-in-IPv4 frame a link drops. Null turns it off. Not owned.
  void set_trace(tcp::Trace* trace) { trace_ = trace; }
  // Writes every frame a port transmits, once, at transmit time. Not owned.
  void set_pcap(PcapWriter* pcap) { pcap_ = pcap; }

  std::uint64_t seed() const { return seed_; }
  std::size_t port_count() const { return ports_.size(); }
  SimPort& port(std::size_t index) { return *ports_.at(index); }
  // The injector of the direction leaving `from`; null if not connected. Its
  // stats are the link's counters; set_params() changes impairments mid-run.
  FaultInjector* egress(const SimPort& from) { return from.link_; }

 private:
  friend class SimPort;
  struct Link {
    SimPort* from;
    SimPort* to;
    FaultInjector injector;
  };

  void on_transmit(SimPort& from, Instant now, std::span<const std::uint8_t> frame);
  void record_loss(const SimPort& from, Instant t, std::span<const std::uint8_t> frame);
  Link& make_link(SimPort& from, SimPort& to, LinkParams params);

  std::uint64_t seed_;
  Instant now_{};
  std::vector<std::unique_ptr<SimPort>> ports_;
  std::deque<Link> links_;  // deque: injector addresses stay put
  tcp::Trace* trace_ = nullptr;
  PcapWriter* pcap_ = nullptr;
};

}  // namespace synack::phy
