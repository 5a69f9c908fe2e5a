#pragma once
// IPv4 fragmentation on egress: a router MUST be able to fragment a packet
// too big for the next hop unless DF is set (RFC 1812 §4.2.2.7, §5.2.6;
// RFC 791 §3.2). The NAT reassembles fragments (fragment_reassembler.hpp)
// and translates whole datagrams, so this is where they are split again.
#include <cstdint>
#include <functional>
#include <span>

namespace synack::nat {

// Splits `packet` (a whole IPv4 packet with a valid header; it may itself be
// a fragment) into fragments of at most `mtu` bytes. `room(len)` returns
// space for one fragment of `len` bytes, which this fills (header checksum
// included). Later fragments carry only the options whose copied flag is
// set (RFC 791 §3.1). Returns how many fragments were written: 0 if `mtu`
// leaves no room for 8 bytes of data (nothing is written then).
std::size_t fragment_ipv4(std::span<const std::uint8_t> packet, std::size_t mtu,
                          const std::function<std::span<std::uint8_t>(std::size_t)>& room);

}  // namespace synack::nat
