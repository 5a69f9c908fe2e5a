#pragma once
// One bound UDP port: its optional peer (after connect), the queue of
// received datagrams, and the error an ICMP message left for the user.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "wire/ipv4_address.hpp"

namespace synack::udp {

struct Datagram {
  wire::Ipv4Address addr;  // the sender (received) or the destination (sent)
  std::uint16_t port = 0;
  std::vector<std::uint8_t> data;
};

struct UdpPeer {
  wire::Ipv4Address addr;
  std::uint16_t port = 0;
  bool operator==(const UdpPeer&) const = default;
};

// Errors as values, for the socket layer to translate.
enum class UdpError : std::uint8_t {
  None,
  PortUnreachable,  // an ICMP port unreachable answered a datagram we sent
  MessageTooLong,   // would not fit one IPv4 packet on this link (no fragmentation)
  NotConnected,     // send() without connect()
  InvalidArgument,  // port 0 or address 0.0.0.0 as destination
  AddressInUse,
  NoPorts,
};

struct UdpEndpointCounters {
  std::uint64_t datagrams_in = 0;  // queued for the user
  std::uint64_t datagrams_out = 0;
  std::uint64_t dropped_queue_full = 0;  // arrived with the receive queue full
  std::uint64_t dropped_not_peer = 0;    // connected, and from someone else
};

struct UdpEndpoint {
  wire::Ipv4Address local_addr;
  std::uint16_t local_port = 0;
  std::optional<UdpPeer> peer;  // set by connect(): filter and default destination
  std::deque<Datagram> queue;
  std::size_t queue_limit = 64;
  // Reported once by the next send or receive, then cleared (like SO_ERROR).
  UdpError pending_error = UdpError::None;
  UdpEndpointCounters counters;
  bool notify_queued = false;  // already in the layer's notification list
};

}  // namespace synack::udp
