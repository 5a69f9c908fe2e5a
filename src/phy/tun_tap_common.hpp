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
  // virtio-net headers (IFF_VNET_HDR) with checksum and TCP segmentation
  // offload both ways (TUNSETOFFLOAD TUN_F_CSUM | TUN_F_TSO4): the stack
  // sends TCP segments of up to 64 KiB with partial checksums, and the
  // kernel hands it unsegmented (TSO/GRO) ones. Off: one wire packet per
  // read and write, every checksum computed and checked by the stack.
  bool offload = false;
  // IFF_MULTI_QUEUE: the fd is one queue of an interface that may have
  // several (TunDevice::open_queues). Every queue of one interface must be
  // opened with the same flags, or the kernel refuses the attach.
  bool multi_queue = false;
  // Set the MTU, address and IFF_UP. Off for the second and later queues:
  // the first one configured the interface already.
  bool configure = true;
  // IFF_TUN_EXCL: fail if the interface exists. A multi-queue interface lets
  // any process attach more queues (and replace the steering program), so
  // open_queues() creates its own rather than join another's.
  bool exclusive = false;
};

struct TunCounters {
  std::uint64_t rx_frames = 0;  // frames handed to the stack by receive()
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_frames = 0;  // frames written to the kernel
  std::uint64_t tx_bytes = 0;
  std::uint64_t tx_dropped = 0;  // the kernel refused them (EAGAIN, ENOBUFS, ...)
  std::uint64_t rx_errors = 0;   // read() failures other than EAGAIN
  // Syscalls and the wire segments they moved (a GSO frame stands for
  // several): segments per syscall is what offload buys.
  std::uint64_t rx_reads = 0;         // read() calls, including the final EAGAIN
  std::uint64_t rx_segments = 0;      // wire segments in the frames read
  std::uint64_t rx_gso_frames = 0;    // frames with a GSO type (TSO/GRO from the kernel)
  std::uint64_t rx_csum_trusted = 0;  // frames with NEEDS_CSUM or DATA_VALID
  std::uint64_t tx_writes = 0;        // write()/writev() calls
  std::uint64_t tx_segments = 0;      // wire segments in the frames written
  std::uint64_t tx_gso_frames = 0;    // frames the kernel segments (VIRTIO_NET_HDR_GSO_TCPV4)
};

// The common base; TunDevice and TapDevice add caps() and open().
class TunTapDevice : public iface::Device {
 public:
  ~TunTapDevice() override;
  TunTapDevice(const TunTapDevice&) = delete;
  TunTapDevice& operator=(const TunTapDevice&) = delete;

  std::optional<std::span<const std::uint8_t>> receive(Instant now) override;
  void transmit(Instant now, std::span<const std::uint8_t> frame) override;
  void transmit_offloaded(Instant now, std::span<const std::uint8_t> frame,
                          const iface::TxMeta& meta) override;
  bool rx_checksum_trusted() const override { return rx_trusted_; }
  // Whether the fd carries virtio-net headers with offloads (TunOptions).
  bool offload() const { return vnet_; }

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
  // Attaches an eBPF socket-filter program that picks the queue of every
  // packet the kernel sends (TUNSETSTEERINGEBPF; tun.c takes its return
  // value modulo the number of queues). It is the interface's, not this
  // queue's: set it once, on any queue. An error message, or "" on success.
  std::string set_steering(int prog_fd);
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
    bool vnet;  // IFF_VNET_HDR with offloads
  };
  // Opens /dev/net/tun as `kind` (no packet-info header), attaches to (or
  // creates) `opts.name` and configures the kernel side by ioctl. Errors are
  // one-line messages naming the device ("cannot create TAP device sk0: ...").
  static Result<Opened, std::string> open_fd(const TunOptions& opts, Kind kind);

  TunTapDevice(int fd, std::string name, std::size_t mtu, bool vnet, std::size_t link_len);
  // The capabilities both kinds share: the MTU and the offloads.
  iface::DeviceCaps base_caps(iface::Medium medium) const;

  std::size_t mtu_;

 private:
  // Reads one frame from the fd into rx_buf_; its length, or 0 when none.
  // With virtio-net headers the header is taken off (rx_meta_ holds it)
  // and the frame starts at rx_start_.
  std::size_t read_one();
  void write_frame(std::span<const std::uint8_t> frame, const iface::TxMeta& meta);
  void flush_egress(Instant now);
  // A frame read with NEEDS_CSUM that will leave our hands (the fault
  // injector's copy): its checksum finished in place.
  void complete_checksum(std::span<std::uint8_t> frame);

  int fd_;
  bool vnet_;
  std::size_t link_len_;  // 14 on TAP: virtio offsets count from the frame start
  std::size_t rx_start_ = 0;
  bool rx_trusted_ = false;
  bool rx_partial_ = false;  // a TCP checksum left partial (the stack trusts it)
  std::string name_;
  std::vector<std::uint8_t> rx_buf_;
  std::vector<std::uint8_t> rx_held_;     // the impaired frame receive() returned last
  std::vector<std::uint8_t> tx_scratch_;  // a frame finished for the egress injector
  PcapWriter* pcap_ = nullptr;
  std::unique_ptr<FaultInjector> egress_;
  std::unique_ptr<FaultInjector> ingress_;
  TunCounters counters_;
};

}  // namespace synack::phy
