#include "socket/tcp_listener.hpp"

#include <utility>

namespace synack::socket {

TcpListener::TcpListener(TcpListener&& o) noexcept
    : stack_(std::exchange(o.stack_, nullptr)), s_(std::exchange(o.s_, nullptr)) {}

TcpListener& TcpListener::operator=(TcpListener&& o) noexcept {
  if (this != &o) {
    close();
    stack_ = std::exchange(o.stack_, nullptr);
    s_ = std::exchange(o.s_, nullptr);
  }
  return *this;
}

TcpListener::~TcpListener() {
  close();
}

void TcpListener::close() {
  if (!s_) return;
  stack_->detach(s_);
  s_ = nullptr;
  stack_ = nullptr;
}

std::optional<TcpStream> TcpListener::accept() {
  tcp::Connection* c = s_->listener->accept();
  if (!c) return std::nullopt;
  return TcpStream(stack_, stack_->attach(c));
}

Task<Result<TcpStream, SocketError>> TcpListener::accept_async() {
  while (true) {
    if (auto s = accept()) co_return std::move(*s);
    co_await AcceptAwaiter{s_};
  }
}

void TcpListener::on_acceptable(std::function<void()> cb) {
  s_->on_acceptable = std::move(cb);
  if (s_->listener->accept_queue_size() > 0) stack_->tcp().notify(*s_->listener);
}

}  // namespace synack::socket
