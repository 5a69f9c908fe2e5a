#include "apps/nat/icmp_error_builder.hpp"

#include <algorithm>

#include "wire/bytes.hpp"
#include "wire/checksum.hpp"
#include "wire/ipv4.hpp"

namespace synack::nat {
namespace {
constexpr std::size_t kMaxError = 576;
}

bool may_send_icmp_error(std::span<const std::uint8_t> packet) {
  if (packet.size() < 20) return false;
  std::size_t hl = std::size_t(packet[0] & 0x0f) * 4;
  if ((wire::load_be16(packet, 6) & 0x1fff) != 0) return false;  // a later fragment
  wire::Ipv4Address src(wire::load_be32(packet, 12)), dst(wire::load_be32(packet, 16));
  if ((dst.to_u32() >> 28) == 0xe || dst == wire::Ipv4Address::broadcast()) return false;
  if (src.is_unspecified() || (src.to_u32() >> 28) >= 0xe) return false;
  if (packet[9] == 1 && packet.size() > hl) {
    std::uint8_t type = packet[hl];
    if (type == 3 || type == 4 || type == 5 || type == 11 || type == 12) return false;
  }
  return true;
}

std::size_t icmp_error_len(std::span<const std::uint8_t> packet) {
  return std::min(kMaxError, 20 + 8 + packet.size());
}

void build_icmp_error(std::span<std::uint8_t> out, wire::Ipv4Address src, IcmpErrorKind kind,
                      std::span<const std::uint8_t> packet) {
  std::size_t len = icmp_error_len(packet);
  std::span<std::uint8_t> icmp = out.subspan(20, len - 20);
  std::fill(icmp.begin(), icmp.begin() + 8, 0);
  icmp[0] = kind.type;
  icmp[1] = kind.code;
  wire::store_be16(icmp, 6, kind.next_hop_mtu);
  std::copy(packet.begin(), packet.begin() + (len - 28), icmp.begin() + 8);
  wire::store_be16(icmp, 2, wire::internet_checksum(icmp));
  wire::Ipv4Repr ip{src,
                    wire::Ipv4Address(wire::load_be32(packet, 12)),
                    1,
                    64,
                    0,
                    false,
                    static_cast<std::uint16_t>(len - 20)};
  ip.emit(out);
}

}  // namespace synack::nat
