#include "socket/udp_socket.hpp"

#include <utility>

namespace synack::socket {

namespace {
std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}
}  // namespace

wire::Ipv4Address UdpSocket::local_addr() const {
  return stack_->interface().address();
}

UdpSocket::UdpSocket(UdpSocket&& o) noexcept
    : stack_(std::exchange(o.stack_, nullptr)), u_(std::exchange(o.u_, nullptr)) {}

UdpSocket& UdpSocket::operator=(UdpSocket&& o) noexcept {
  if (this != &o) {
    release();
    stack_ = std::exchange(o.stack_, nullptr);
    u_ = std::exchange(o.u_, nullptr);
  }
  return *this;
}

UdpSocket::~UdpSocket() {
  release();
}

void UdpSocket::release() {
  if (!u_) return;
  stack_->detach(u_);
  u_ = nullptr;
  stack_ = nullptr;
}

SocketError UdpSocket::take_error() {
  return from_udp_error(std::exchange(u_->endpoint->pending_error, udp::UdpError::None));
}

SocketError UdpSocket::connect(wire::Ipv4Address addr, std::uint16_t port) {
  if (port == 0 || addr == wire::Ipv4Address()) return SocketError::InvalidArgument;
  u_->endpoint->peer = UdpPeer{addr, port};
  // An error left by the previous peer is not this one's.
  u_->endpoint->pending_error = udp::UdpError::None;
  return SocketError::None;
}

SocketError UdpSocket::send_to(wire::Ipv4Address addr, std::uint16_t port,
                               std::span<const std::uint8_t> data) {
  if (SocketError e = take_error(); e != SocketError::None) return e;
  return from_udp_error(stack_->interface().udp().send(*u_->endpoint, addr, port, data));
}

SocketError UdpSocket::send_to(wire::Ipv4Address addr, std::uint16_t port, std::string_view text) {
  return send_to(addr, port, as_bytes(text));
}

SocketError UdpSocket::send(std::span<const std::uint8_t> data) {
  if (!u_->endpoint->peer) return SocketError::NotConnected;
  return send_to(u_->endpoint->peer->addr, u_->endpoint->peer->port, data);
}

SocketError UdpSocket::send(std::string_view text) {
  return send(as_bytes(text));
}

Result<Datagram, SocketError> UdpSocket::try_recv() {
  if (SocketError e = take_error(); e != SocketError::None) return e;
  auto& q = u_->endpoint->queue;
  if (q.empty()) return SocketError::WouldBlock;
  Datagram d = std::move(q.front());
  q.pop_front();
  return d;
}

Task<Result<Datagram, SocketError>> UdpSocket::recv_from() {
  while (true) {
    auto r = try_recv();
    if (r || r.error() != SocketError::WouldBlock) co_return r;
    co_await RecvAwaiter{u_};
  }
}

void UdpSocket::on_event(std::function<void()> cb) {
  u_->on_event = std::move(cb);
  // What arrived before the callback existed is reported on the next dispatch.
  if (!u_->endpoint->queue.empty() || u_->endpoint->pending_error != udp::UdpError::None)
    stack_->interface().udp().notify(*u_->endpoint);
}

std::size_t UdpSocket::max_payload() const {
  return stack_->interface().udp().max_payload();
}

}  // namespace synack::socket
