#pragma once
// Reading a packet's flow tuple and rewriting its addresses and ports in
// place, as a NAT does, with the checksums updated incrementally (RFC 1624;
// RFC 3022 §4.2) so that a corrupted payload stays detectably corrupted.
// ICMP errors (RFC 5508 §4.2; RFC 792) carry the header of the packet that
// caused them: that quoted header is translated as well, its own checksums
// included, so the host receiving the error recognises its own packet.
#include <cstdint>
#include <optional>
#include <span>

#include "apps/nat/flow_tuple.hpp"
#include "core/result.hpp"

namespace synack::nat {

enum class InspectError : std::uint8_t {
  Fragment,     // a fragment: NAT would need reassembly (not done; dropped)
  Unsupported,  // another protocol or ICMP type the NAT does not translate
  Malformed,    // too short, or a bad ICMP checksum
};

const char* to_string(InspectError e);

struct PacketInfo {
  // For TCP/UDP/echo: the packet's own tuple. For an ICMP error: the quoted
  // packet's tuple reversed, i.e. the direction the error travels, which is
  // what a reply to the quoted packet would carry (RFC 5508 §4.2).
  FlowTuple tuple;
  bool icmp_error = false;
  wire::Ipv4Address outer_src;  // the packet's own header (for an ICMP error, the
  wire::Ipv4Address outer_dst;  // reporter and the host it reports to)
  std::uint8_t ttl = 0;
  bool dont_frag = false;
  // TCP only.
  std::uint8_t tcp_flags = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint32_t seg_len = 0;  // payload bytes + SYN + FIN
  std::uint16_t window = 0;   // as on the wire (unscaled)
  std::int8_t wscale = -1;    // a SYN's window scale option (RFC 7323 §2.2), -1: none
};

// Parses the tuple of an IPv4 packet whose header the interface checked.
Result<PacketInfo, InspectError> inspect_packet(std::span<const std::uint8_t> packet);

// Rewrites `packet` (as inspected into `info`) so that its tuple becomes
// `to`. For an ICMP error, `to` is what a reply in the error's direction
// would become: the outer destination becomes to.dst, the outer source
// to.src if the error came from the flow's remote endpoint itself, and the
// quoted packet becomes `to` reversed.
void rewrite_packet(std::span<std::uint8_t> packet, const PacketInfo& info, const FlowTuple& to);

// TTL - 1 with the header checksum updated (RFC 1812 §5.3.1; RFC 1624).
void decrement_ttl(std::span<std::uint8_t> packet);

// True when every checksum in the packet (IPv4 header; TCP, UDP (unless 0)
// or ICMP) verifies: for tests and the fuzzer.
bool checksums_valid(std::span<const std::uint8_t> packet);

}  // namespace synack::nat
