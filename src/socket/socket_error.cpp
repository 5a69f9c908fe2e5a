#include "socket/socket_error.hpp"

namespace synack::socket {

std::string_view to_string(SocketError e) {
  switch (e) {
    case SocketError::None:
      return "ok";
    case SocketError::Refused:
      return "refused";
    case SocketError::TimedOut:
      return "timed out";
    case SocketError::Reset:
      return "reset";
    case SocketError::Aborted:
      return "aborted";
    case SocketError::Closed:
      return "closed";
    case SocketError::AddressInUse:
      return "address in use";
    case SocketError::NoPorts:
      return "no free local port";
    case SocketError::NoMemory:
      return "out of memory";
    case SocketError::InvalidArgument:
      return "invalid argument";
    case SocketError::WouldBlock:
      return "would block";
    case SocketError::NotConnected:
      return "not connected";
    case SocketError::MessageTooLong:
      return "message too long";
  }
  return "?";
}

SocketError from_conn_error(tcp::ConnError e) {
  switch (e) {
    case tcp::ConnError::None:
      return SocketError::None;
    case tcp::ConnError::Refused:
      return SocketError::Refused;
    case tcp::ConnError::TimedOut:
      return SocketError::TimedOut;
    case tcp::ConnError::Reset:
      return SocketError::Reset;
    case tcp::ConnError::Aborted:
      return SocketError::Aborted;
  }
  return SocketError::None;
}

SocketError from_open_error(tcp::OpenError e) {
  switch (e) {
    case tcp::OpenError::AddressInUse:
      return SocketError::AddressInUse;
    case tcp::OpenError::NoPorts:
      return SocketError::NoPorts;
    case tcp::OpenError::NoMemory:
      return SocketError::NoMemory;
    case tcp::OpenError::InvalidArgument:
      return SocketError::InvalidArgument;
  }
  return SocketError::InvalidArgument;
}

SocketError from_udp_error(udp::UdpError e) {
  switch (e) {
    case udp::UdpError::None:
      return SocketError::None;
    case udp::UdpError::PortUnreachable:
      return SocketError::Refused;
    case udp::UdpError::MessageTooLong:
      return SocketError::MessageTooLong;
    case udp::UdpError::NotConnected:
      return SocketError::NotConnected;
    case udp::UdpError::InvalidArgument:
      return SocketError::InvalidArgument;
    case udp::UdpError::AddressInUse:
      return SocketError::AddressInUse;
    case udp::UdpError::NoPorts:
      return SocketError::NoPorts;
  }
  return SocketError::InvalidArgument;
}

}  // namespace synack::socket
