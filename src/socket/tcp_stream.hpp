#pragma once
// The user's handle on one connection: non-blocking calls, a readiness
// callback, and C++20 coroutines. Move-only; destroying it closes the
// connection gracefully (the stack finishes the close in the background).
#include <coroutine>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "core/result.hpp"
#include "socket/socket_error.hpp"
#include "socket/stack.hpp"
#include "socket/task.hpp"

namespace synack::socket {

class TcpStream {
 public:
  TcpStream() = default;
  TcpStream(TcpStream&& o) noexcept;
  TcpStream& operator=(TcpStream&& o) noexcept;
  ~TcpStream();

  bool valid() const { return s_ != nullptr; }

  // --- non-blocking calls ----------------------------------------------------
  std::size_t write(std::span<const std::uint8_t> data);
  std::size_t write(std::string_view text);
  std::size_t read(std::span<std::uint8_t> out);
  void shutdown();  // half-close: FIN after the queued data; reading goes on
  void close();     // graceful close (RST if received data is unread)
  void abort();     // RST now

  // --- state -------------------------------------------------------------------
  tcp::TcpState state() const;
  SocketError error() const;
  bool connected() const;  // handshake done (and not yet reset)
  bool at_eof() const;     // the peer closed and everything was read
  bool closed() const;     // CLOSED or TIME-WAIT
  std::size_t readable() const;
  std::size_t writable() const;
  const tcp::FourTuple& tuple() const;
  const tcp::Connection& connection() const { return *s_->conn; }
  // Like getsockopt(TCP_INFO): RTT, windows, counters (ss -ti).
  tcp::TcpInfo info() const { return s_->conn->info(); }

  // --- options (setsockopt) ------------------------------------------------------
  void set_nodelay(bool on);  // TCP_NODELAY: no Nagle
  void set_keepalive(bool on, Duration idle = std::chrono::seconds(7200),
                     Duration interval = std::chrono::seconds(75), int probes = 9);
  void set_congestion(tcp::CongestionAlgorithm a);  // TCP_CONGESTION

  // --- zero-copy writing ------------------------------------------------------------
  // Send-buffer space in place for up to `want` bytes: write the bytes
  // there, then commit() how many (at most the span's size). Empty when the
  // buffer is full or the write side is closed; it may be shorter than
  // writable() when the buffer wraps (call again after commit()). Valid
  // until the next call on this stream or poll.
  std::span<std::uint8_t> write_view(std::size_t want = 64 * 1024);
  std::size_t commit(std::size_t n);

  // --- zero-copy reading ------------------------------------------------------------
  // Readable bytes in place, valid until the next call on this stream or poll.
  std::span<const std::uint8_t> read_view() const { return s_->conn->recv_view(); }
  std::size_t consume(std::size_t n);

  // Called from Stack::poll whenever readiness may have changed.
  void on_event(std::function<void()> cb);

  // --- coroutines ------------------------------------------------------------------
  // Completes when the handshake finishes or fails.
  Task<SocketError> wait_connected();
  // Some bytes (>0), 0 at end of stream, or an error.
  Task<Result<std::size_t, SocketError>> read_some(std::span<std::uint8_t> out);
  Task<SocketError> write_all(std::span<const std::uint8_t> data);
  // Everything until the peer's FIN.
  Task<Result<std::string, SocketError>> read_to_end();
  // Completes when the connection reaches CLOSED or TIME-WAIT.
  Task<SocketError> wait_closed();

 private:
  friend class Stack;
  friend class TcpListener;
  TcpStream(Stack* stack, Stack::StreamState* s) : stack_(stack), s_(s) {}
  void release();

  struct ReadAwaiter {
    Stack::StreamState* s;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept { s->reader = h; }
    void await_resume() const noexcept {}
  };
  struct WriteAwaiter {
    Stack::StreamState* s;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept { s->writer = h; }
    void await_resume() const noexcept {}
  };

  Stack* stack_ = nullptr;
  Stack::StreamState* s_ = nullptr;
};

}  // namespace synack::socket
