#pragma once
// The user's handle on one UDP port (RFC 768): datagrams to and from any
// peer, or, after connect(), one peer only. Non-blocking calls, a readiness
// callback, and a coroutine receive, in TcpStream's style. Move-only;
// destroying it (or close()) unbinds the port.
//
// Sizes: a datagram must fit one IPv4 packet on the link (MTU - 28 bytes);
// synack implements no IP fragmentation, so larger sends fail with
// MessageTooLong and nothing is sent. Received datagrams wait in a bounded
// queue (InterfaceConfig::udp_queue_limit); when it is full, new ones are
// dropped and counted in counters().dropped_queue_full.
//
// Errors: an ICMP port unreachable answering a datagram of a connected
// socket is reported once, as Refused, by the next send or receive call
// (like ECONNREFUSED from Linux); unconnected sockets ignore ICMP errors.
#include <coroutine>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include "core/result.hpp"
#include "socket/socket_error.hpp"
#include "socket/stack.hpp"
#include "socket/task.hpp"
#include "udp/udp_endpoint.hpp"

namespace synack::socket {

using udp::Datagram;
using udp::UdpPeer;

class UdpSocket {
 public:
  UdpSocket() = default;
  UdpSocket(UdpSocket&& o) noexcept;
  UdpSocket& operator=(UdpSocket&& o) noexcept;
  ~UdpSocket();

  bool valid() const { return u_ != nullptr; }
  std::uint16_t local_port() const { return u_->endpoint->local_port; }
  // The host's current address: sockets are bound to 0.0.0.0, so they follow
  // the interface (a DHCP lease) and receive broadcasts.
  wire::Ipv4Address local_addr() const;

  // Sets the default destination and receives from that peer only. Datagrams
  // already queued from others stay. InvalidArgument for port 0 or 0.0.0.0.
  SocketError connect(wire::Ipv4Address addr, std::uint16_t port);
  std::optional<UdpPeer> peer() const { return u_->endpoint->peer; }

  // Queues one datagram for the next poll; None when queued.
  SocketError send_to(wire::Ipv4Address addr, std::uint16_t port,
                      std::span<const std::uint8_t> data);
  SocketError send_to(wire::Ipv4Address addr, std::uint16_t port, std::string_view text);
  // To the connected peer; NotConnected without connect().
  SocketError send(std::span<const std::uint8_t> data);
  SocketError send(std::string_view text);

  // The oldest queued datagram, or WouldBlock, or a pending error (Refused).
  Result<Datagram, SocketError> try_recv();
  // Waits for a datagram (or a pending error).
  Task<Result<Datagram, SocketError>> recv_from();

  // Called from Stack::poll when a datagram arrived or an error is pending.
  void on_event(std::function<void()> cb);

  std::size_t queued() const { return u_->endpoint->queue.size(); }
  // The largest payload send_to() accepts on this link.
  std::size_t max_payload() const;
  const udp::UdpEndpointCounters& counters() const { return u_->endpoint->counters; }
  void close() { release(); }

 private:
  friend class Stack;
  UdpSocket(Stack* stack, Stack::UdpState* u) : stack_(stack), u_(u) {}
  void release();
  SocketError take_error();

  struct RecvAwaiter {
    Stack::UdpState* u;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept { u->reader = h; }
    void await_resume() const noexcept {}
  };

  Stack* stack_ = nullptr;
  Stack::UdpState* u_ = nullptr;
};

}  // namespace synack::socket
