#include "phy/virtio_net_header.hpp"

#include "wire/checksum.hpp"

namespace synack::phy {
namespace {

std::uint16_t le16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8));
}

void put_le16(std::span<std::uint8_t> b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v);
  b[at + 1] = static_cast<std::uint8_t>(v >> 8);
}

}  // namespace

VnetHeader VnetHeader::parse(std::span<const std::uint8_t, kSize> b) {
  VnetHeader h;
  h.flags = b[0];
  h.gso_type = b[1];
  h.hdr_len = le16(b, 2);
  h.gso_size = le16(b, 4);
  h.csum_start = le16(b, 6);
  h.csum_offset = le16(b, 8);
  return h;
}

void VnetHeader::emit(std::span<std::uint8_t, kSize> b) const {
  b[0] = flags;
  b[1] = gso_type;
  put_le16(b, 2, hdr_len);
  put_le16(b, 4, gso_size);
  put_le16(b, 6, csum_start);
  put_le16(b, 8, csum_offset);
}

VnetHeader VnetHeader::for_transmit(const iface::TxMeta& meta, std::size_t link_len) {
  VnetHeader h;
  if (meta.csum_start == 0) return h;
  // TCP's checksum field is 16 bytes into its header (RFC 9293 §3.1).
  h.flags = kNeedsCsum;
  h.csum_start = static_cast<std::uint16_t>(link_len + meta.csum_start);
  h.csum_offset = 16;
  h.hdr_len = static_cast<std::uint16_t>(link_len + meta.header_len);
  if (meta.gso_size != 0) {
    h.gso_type = kGsoTcpV4;
    h.gso_size = meta.gso_size;
  }
  return h;
}

std::size_t VnetHeader::wire_segments(std::size_t frame_len) const {
  if (!gso() || gso_size == 0 || frame_len <= hdr_len) return 1;
  return (frame_len - hdr_len + gso_size - 1) / gso_size;
}

bool complete_partial_checksum(std::span<std::uint8_t> frame, const VnetHeader& h) {
  std::size_t at = std::size_t(h.csum_start) + h.csum_offset;
  if (h.csum_start >= frame.size() || at + 2 > frame.size()) return false;
  // The field holds the pseudo-header sum: summing over it adds that in.
  std::uint32_t sum = wire::checksum_accumulate(0, frame.subspan(h.csum_start));
  std::uint16_t c = static_cast<std::uint16_t>(~wire::checksum_fold(sum));
  frame[at] = static_cast<std::uint8_t>(c >> 8);
  frame[at + 1] = static_cast<std::uint8_t>(c);
  return true;
}

}  // namespace synack::phy
