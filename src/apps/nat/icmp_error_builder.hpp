#pragma once
// The ICMP errors a router sends about a packet it cannot forward
// (RFC 1812 §4.3.2): time exceeded in transit (§5.3.1) and destination
// unreachable, fragmentation needed with the next-hop MTU (RFC 1191 §4).
// They quote the offending packet's header and as much of its data as keeps
// the error within 576 bytes (RFC 1812 §4.3.2.3), and are never sent about
// an ICMP error, a fragment other than the first, or a broadcast/multicast.
#include <cstdint>
#include <span>

#include "wire/ipv4_address.hpp"

namespace synack::nat {

struct IcmpErrorKind {
  std::uint8_t type = 11;
  std::uint8_t code = 0;
  std::uint16_t next_hop_mtu = 0;  // fragmentation needed only
  static IcmpErrorKind time_exceeded() { return {11, 0, 0}; }
  static IcmpErrorKind fragmentation_needed(std::uint16_t mtu) { return {3, 4, mtu}; }
};

// Whether RFC 1812 §4.3.2.7 allows an error about `packet`.
bool may_send_icmp_error(std::span<const std::uint8_t> packet);
// The length of the error packet about `packet`.
std::size_t icmp_error_len(std::span<const std::uint8_t> packet);
// Writes the whole IPv4 packet (icmp_error_len() bytes) from `src` to the
// offending packet's source.
void build_icmp_error(std::span<std::uint8_t> out, wire::Ipv4Address src, IcmpErrorKind kind,
                      std::span<const std::uint8_t> packet);

}  // namespace synack::nat
