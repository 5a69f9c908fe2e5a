#pragma once
#include <cstdint>
#include <string_view>

#include "tcp/connection.hpp"
#include "tcp/tcp_layer.hpp"
#include "udp/udp_endpoint.hpp"

namespace synack::socket {

// Every way a socket call can fail, as a value.
enum class SocketError : std::uint8_t {
  None,
  Refused,   // the peer answered our SYN with RST, or a UDP datagram with ICMP port unreachable
  TimedOut,  // retransmissions exhausted
  Reset,     // the peer reset an established connection
  Aborted,   // we aborted it
  Closed,    // the operation needs an open connection (or write side)
  AddressInUse,
  NoPorts,
  NoMemory,
  InvalidArgument,
  WouldBlock,      // non-blocking receive with nothing queued
  NotConnected,    // UDP send() before connect()
  MessageTooLong,  // a UDP datagram larger than one packet on the link (EMSGSIZE)
};

std::string_view to_string(SocketError e);
SocketError from_conn_error(tcp::ConnError e);
SocketError from_open_error(tcp::OpenError e);
SocketError from_udp_error(udp::UdpError e);

}  // namespace synack::socket
