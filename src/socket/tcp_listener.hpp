#pragma once
// The user's handle on a listening port: accept() established connections,
// a callback when one is waiting, and a coroutine accept.
#include <functional>
#include <optional>

#include "socket/tcp_stream.hpp"

namespace synack::socket {

class TcpListener {
 public:
  TcpListener() = default;
  TcpListener(TcpListener&& o) noexcept;
  TcpListener& operator=(TcpListener&& o) noexcept;
  ~TcpListener();

  bool valid() const { return s_ != nullptr; }
  std::optional<TcpStream> accept();
  Task<Result<TcpStream, SocketError>> accept_async();
  void on_acceptable(std::function<void()> cb);
  void close();

  const tcp::Listener& listener() const { return *s_->listener; }
  const tcp::ListenerCounters& counters() const { return s_->listener->counters(); }
  std::size_t syn_queue_size() const { return s_->listener->syn_queue_size(); }
  std::size_t accept_queue_size() const { return s_->listener->accept_queue_size(); }

 private:
  friend class Stack;
  TcpListener(Stack* stack, Stack::ListenerState* s) : stack_(stack), s_(s) {}

  struct AcceptAwaiter {
    Stack::ListenerState* s;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept { s->waiter = h; }
    void await_resume() const noexcept {}
  };

  Stack* stack_ = nullptr;
  Stack::ListenerState* s_ = nullptr;
};

}  // namespace synack::socket
