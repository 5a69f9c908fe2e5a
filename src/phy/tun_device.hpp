#pragma once
// A Linux TUN device: the stack's frames are bare IPv4 packets exchanged with
// the kernel through /dev/net/tun. The fd is non-blocking, so receive() and
// transmit() never wait; the event loop watches fd() with epoll. Optional
// hooks capture every frame to a pcap file and impair both directions with a
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

class TunDevice final : public iface::Device {
 public:
  // Opens /dev/net/tun and attaches to (creating if needed) interface
  // `opts.name`, then configures the kernel side by ioctl. Errors are one-line
  // messages naming the device.
  static Result<std::unique_ptr<TunDevice>, std::string> open(const TunOptions& opts);

  ~TunDevice() override;
  TunDevice(const TunDevice&) = delete;
  TunDevice& operator=(const TunDevice&) = delete;

  iface::DeviceCaps caps() const override { return {mtu_, iface::Medium::Ip}; }
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

 private:
  TunDevice(int fd, std::string name, std::size_t mtu);
  // Reads one packet from the fd into rx_buf_; its length, or 0 when none.
  std::size_t read_one();
  void write_frame(std::span<const std::uint8_t> frame);
  void flush_egress(Instant now);

  int fd_;
  std::string name_;
  std::size_t mtu_;
  std::vector<std::uint8_t> rx_buf_;
  std::vector<std::uint8_t> rx_held_;  // the impaired frame receive() returned last
  PcapWriter* pcap_ = nullptr;
  std::unique_ptr<FaultInjector> egress_;
  std::unique_ptr<FaultInjector> ingress_;
  TunCounters counters_;
};

}  // namespace synack::phy
