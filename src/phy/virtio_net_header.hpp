#pragma once
// The virtio-net header that prefixes every frame on a TUN/TAP fd opened
// with IFF_VNET_HDR (struct virtio_net_hdr, include/uapi/linux/virtio_net.h;
// the virtio spec §5.1.6 "Device Operation"). It carries what Linux's skb
// would: a partial checksum to finish (NEEDS_CSUM: csum_start,
// csum_offset), a checksum already verified (DATA_VALID), and a GSO type and
// size for a segment longer than the MTU that is cut into gso_size pieces
// (TSO on our transmit side, GRO/TSO from the kernel on our receive side).
// Little-endian (TUNSETVNETBE is not used).
#include <cstddef>
#include <cstdint>
#include <span>

#include "iface/device.hpp"

namespace synack::phy {

struct VnetHeader {
  static constexpr std::size_t kSize = 10;  // sizeof(struct virtio_net_hdr)
  static constexpr std::uint8_t kNeedsCsum = 1;
  static constexpr std::uint8_t kDataValid = 2;
  static constexpr std::uint8_t kGsoNone = 0;
  static constexpr std::uint8_t kGsoTcpV4 = 1;
  static constexpr std::uint8_t kGsoEcn = 0x80;

  std::uint8_t flags = 0;
  std::uint8_t gso_type = kGsoNone;
  std::uint16_t hdr_len = 0;
  std::uint16_t gso_size = 0;
  std::uint16_t csum_start = 0;
  std::uint16_t csum_offset = 0;

  static VnetHeader parse(std::span<const std::uint8_t, kSize> b);
  void emit(std::span<std::uint8_t, kSize> b) const;

  // The header for a frame our stack built: `meta` counts from the IP
  // header, `link_len` bytes of link header (14 on TAP) come before it.
  static VnetHeader for_transmit(const iface::TxMeta& meta, std::size_t link_len);

  bool gso() const { return (gso_type & ~kGsoEcn) != kGsoNone; }
  // Wire segments this frame stands for: its payload past hdr_len in
  // gso_size pieces when it is a GSO frame, else one.
  std::size_t wire_segments(std::size_t frame_len) const;
};

// Finishes a partial checksum in place (NEEDS_CSUM): the one's-complement
// sum from csum_start to the end goes, complemented, to csum_start +
// csum_offset. False when those offsets do not fit the frame.
bool complete_partial_checksum(std::span<std::uint8_t> frame, const VnetHeader& h);

}  // namespace synack::phy
