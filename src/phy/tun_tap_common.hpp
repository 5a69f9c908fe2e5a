#pragma once
// What TunDevice and TapDevice share: opening /dev/net/tun, configuring the
// kernel side by ioctl, a non-blocking fd that receive() and transmit() never
// wait on (the event loop watches fd() with epoll), and the optional hooks
// that capture every frame to a pcap file and impair both directions with a
// FaultInjector each, for "real kernel peer over a bad link" experiments.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "iface/device.hpp"
#include "phy/fault_injector.hpp"
#include "phy/link_params.hpp"
#include "wire/ipv4_address.hpp"

namespace synack::phy {

class PcapWriter;

struct TunOptions {
  std::string name;  // interface name; empty lets the kernel pick ("tun0", ...)
  std::size_t mtu = 1500;
  std::optional<wire::Ipv4Cidr> host_addr;  // kernel-side address to assign
  bool bring_up = true;                     // set IFF_UP on the interface
};

struct TunCounters {
  std::uint64_t rx_frames = 0;  // frames handed to the stack by receive()
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_frames = 0;  // frames written to the kernel
  std::uint64_t tx_bytes = 0;
  std::uint64_t tx_dropped = 0;  // the kernel refused them (EAGAIN, ENOBUFS, ...)
  std::uint64_t rx_errors = 0;   // read() failures other than EAGAIN
};

// The common base; TunDevice and TapDevice add caps() and open().
class TunTapDevice : public iface::Device {
 public:
  ~TunTapDevice() override;
  TunTapDevice(const TunTapDevice&) = delete;
  TunTapDevice& operator=(const TunTapDevice&) = delete;

  std::optional<std::span<const std::uint8_t>> receive(Instant now) override;
  void transmit(Instant now, std::span<const std::uint8_t> frame) override;

  int fd() const { return fd_; }
  const std::string& name() const { return name_; }
  const TunCounters& counters() const { return counters_; }

  // Every frame the stack sends or receives is written to `pcap` (null to
  // stop), as the stack sees it: after ingress and before egress impairment.
  void set_pcap(PcapWriter* pcap) { pcap_ = pcap; }
  // Routes both directions through a FaultInjector with `params` (egress
  // seeded with `seed`, ingress with a value derived from it). Replaces any
  // earlier impairment, dropping frames it still held.
  void set_impairment(const LinkParams& params, std::uint64_t seed);
  void clear_impairment();
  // When a held frame becomes due (either direction): the event loop must
  // call receive() (via Stack::poll) by then. nullopt without impairment or
  // when nothing is held.
  std::optional<Instant> next_deadline() const;
  // The injectors, for their statistics; null without impairment.
  const FaultInjector* egress_impairment() const { return egress_.get(); }
  const FaultInjector* ingress_impairment() const { return ingress_.get(); }

 protected:
  enum class Kind { Tun, Tap };
  struct Opened {
    int fd;
    std::string name;
  };
  // Opens /dev/net/tun as `kind` (no packet-info header), attaches to (or
  // creates) `opts.name` and configures the kernel side by ioctl. Errors are
  // one-line messages naming the device ("cannot create TAP device sk0: ...").
  static Result<Opened, std::string> open_fd(const TunOptions& opts, Kind kind);

  TunTapDevice(int fd, std::string name, std::size_t mtu);

  std::size_t mtu_;

 private:
  // Reads one frame from the fd into rx_buf_; its length, or 0 when none.
  std::size_t read_one();
  void write_frame(std::span<const std::uint8_t> frame);
  void flush_egress(Instant now);

  int fd_;
  std::string name_;
  std::vector<std::uint8_t> rx_buf_;
  std::vector<std::uint8_t> rx_held_;  // the impaired frame receive() returned last
  PcapWriter* pcap_ = nullptr;
  std::unique_ptr<FaultInjector> egress_;
  std::unique_ptr<FaultInjector> ingress_;
  TunCounters counters_;
};

}  // namespace synack::phy
