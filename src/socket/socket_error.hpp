#pragma once
#include <cstdint>
#include <string_view>

#include "tcp/connection.hpp"
#include "tcp/tcp_layer.hpp"

namespace synack::socket {

// Every way a socket call can fail, as a value.
enum class SocketError : std::uint8_t {
  None,
  Refused,   // the peer answered our SYN with RST
  TimedOut,  // retransmissions exhausted
  Reset,     // the peer reset an established connection
  Aborted,   // we aborted it
  Closed,    // the operation needs an open connection (or write side)
  AddressInUse,
  NoPorts,
  NoMemory,
  InvalidArgument,
};

std::string_view to_string(SocketError e);
SocketError from_conn_error(tcp::ConnError e);
SocketError from_open_error(tcp::OpenError e);

}  // namespace synack::socket
