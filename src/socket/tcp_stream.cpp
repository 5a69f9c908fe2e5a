#include "socket/tcp_stream.hpp"

#include <utility>

namespace synack::socket {

TcpStream::TcpStream(TcpStream&& o) noexcept
    : stack_(std::exchange(o.stack_, nullptr)), s_(std::exchange(o.s_, nullptr)) {}

TcpStream& TcpStream::operator=(TcpStream&& o) noexcept {
  if (this != &o) {
    release();
    stack_ = std::exchange(o.stack_, nullptr);
    s_ = std::exchange(o.s_, nullptr);
  }
  return *this;
}

TcpStream::~TcpStream() {
  release();
}

void TcpStream::release() {
  if (!s_) return;
  stack_->detach(s_);
  s_ = nullptr;
  stack_ = nullptr;
}

std::size_t TcpStream::write(std::span<const std::uint8_t> data) {
  return s_->conn->send(data);
}

std::size_t TcpStream::write(std::string_view text) {
  return write(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::span<std::uint8_t> TcpStream::write_view(std::size_t want) {
  return s_->conn->send_view(want);
}

std::size_t TcpStream::commit(std::size_t n) {
  return s_->conn->send_commit(n);
}

std::size_t TcpStream::read(std::span<std::uint8_t> out) {
  return s_->conn->recv(out);
}

std::size_t TcpStream::consume(std::size_t n) {
  return s_->conn->consume(n);
}

void TcpStream::set_nodelay(bool on) {
  s_->conn->set_nodelay(on);
}
void TcpStream::set_keepalive(bool on, Duration idle, Duration interval, int probes) {
  s_->conn->set_keepalive(stack_->now(), on, idle, interval, probes);
}
void TcpStream::set_congestion(tcp::CongestionAlgorithm a) {
  s_->conn->set_congestion(a);
}

void TcpStream::shutdown() {
  s_->conn->shutdown_write(stack_->now());
}
void TcpStream::close() {
  s_->conn->close(stack_->now());
}
void TcpStream::abort() {
  s_->conn->abort(stack_->now());
}

tcp::TcpState TcpStream::state() const {
  return s_->conn->state();
}
SocketError TcpStream::error() const {
  return from_conn_error(s_->conn->error());
}
bool TcpStream::connected() const {
  return s_->conn->is_connected() && s_->conn->state() != tcp::TcpState::SynReceived &&
         s_->conn->error() == tcp::ConnError::None;
}
bool TcpStream::at_eof() const {
  return s_->conn->at_eof();
}
bool TcpStream::closed() const {
  return s_->conn->is_closed();
}
std::size_t TcpStream::readable() const {
  return s_->conn->readable_bytes();
}
std::size_t TcpStream::writable() const {
  return s_->conn->send_space();
}
const tcp::FourTuple& TcpStream::tuple() const {
  return s_->conn->tuple();
}

void TcpStream::on_event(std::function<void()> cb) {
  s_->on_event = std::move(cb);
  // Whatever happened before the callback existed (data that came with the
  // handshake, a FIN) is reported on the next dispatch.
  stack_->tcp().notify(*s_->conn);
}

Task<SocketError> TcpStream::wait_connected() {
  while (true) {
    if (s_->conn->error() != tcp::ConnError::None) co_return error();
    if (connected() || s_->conn->state() == tcp::TcpState::CloseWait) co_return SocketError::None;
    if (closed()) co_return SocketError::Closed;
    co_await WriteAwaiter{s_};
  }
}

Task<Result<std::size_t, SocketError>> TcpStream::read_some(std::span<std::uint8_t> out) {
  while (true) {
    std::size_t n = s_->conn->recv(out);
    if (n > 0) co_return n;
    if (s_->conn->error() != tcp::ConnError::None) co_return error();
    if (at_eof()) co_return std::size_t{0};
    if (closed()) co_return SocketError::Closed;
    co_await ReadAwaiter{s_};
  }
}

Task<SocketError> TcpStream::write_all(std::span<const std::uint8_t> data) {
  while (!data.empty()) {
    if (s_->conn->error() != tcp::ConnError::None) co_return error();
    if (s_->conn->write_closed() || s_->conn->state() == tcp::TcpState::Closed)
      co_return SocketError::Closed;
    std::size_t n = s_->conn->send(data);
    data = data.subspan(n);
    if (!data.empty()) co_await WriteAwaiter{s_};
  }
  co_return SocketError::None;
}

Task<Result<std::string, SocketError>> TcpStream::read_to_end() {
  std::string all;
  std::uint8_t buf[4096];
  while (true) {
    auto r = co_await read_some(buf);
    if (!r) co_return r.error();
    if (*r == 0) co_return all;
    all.append(reinterpret_cast<const char*>(buf), *r);
  }
}

Task<SocketError> TcpStream::wait_closed() {
  while (!closed())
    co_await WriteAwaiter{s_};
  co_return error();
}

}  // namespace synack::socket
