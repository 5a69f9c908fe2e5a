#pragma once
// What the interface needs from a network device (phy implements it: TUN, TAP,
// the simulated network). Sans-IO: the caller passes the current instant.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "core/time.hpp"

namespace synack::iface {

enum class Medium {
  Ip,        // frames are bare IPv4 packets (TUN, the simulator)
  Ethernet,  // frames carry an Ethernet header (TAP)
};

struct DeviceCaps {
  std::size_t mtu = 1500;  // largest IP packet the device carries
  Medium medium = Medium::Ip;
  // Offloads, as Linux's netdev features name them (Documentation/
  // networking/netdev-features.rst, segmentation-offloads.rst):
  // NETIF_F_HW_CSUM: the device fills in a TCP checksum whose field holds
  // only the pseudo-header sum (TxMeta::csum_start says where TCP starts).
  bool tx_checksum = false;
  // NETIF_F_TSO: the largest IPv4 packet the device takes and cuts into
  // wire segments of TxMeta::gso_size payload bytes (Linux's gso_max_size);
  // 0: every packet fits the MTU. Needs tx_checksum.
  std::size_t tso_max = 0;
};

// How one transmitted IPv4 packet uses the offloads (all zero: it is sent
// as it is, checksums complete).
struct TxMeta {
  // Offset of the TCP header in the IP packet when its checksum is partial
  // (0: complete).
  std::uint16_t csum_start = 0;
  // TCP payload per wire segment when the packet is longer (0: one segment).
  std::uint16_t gso_size = 0;
  // IP plus TCP header length (a hint the kernel uses to split headers).
  std::uint16_t header_len = 0;
};

class Device {
 public:
  virtual ~Device() = default;
  virtual DeviceCaps caps() const = 0;
  // The next received frame, if any; the bytes stay valid until the next call
  // to receive() on this device.
  virtual std::optional<std::span<const std::uint8_t>> receive(Instant now) = 0;
  // Sends one frame (copied by the device before returning).
  virtual void transmit(Instant now, std::span<const std::uint8_t> frame) = 0;
  // The same with offloads; only called with what caps() advertises.
  virtual void transmit_offloaded(Instant now, std::span<const std::uint8_t> frame,
                                  const TxMeta& meta) {
    (void)meta;
    transmit(now, frame);
  }
  // Whether the TCP/UDP checksum of the frame receive() returned last was
  // verified by the device or comes from a sender that vouches for it (the
  // local kernel's partial checksums): the stack then skips its own check.
  virtual bool rx_checksum_trusted() const { return false; }
};

}  // namespace synack::iface
