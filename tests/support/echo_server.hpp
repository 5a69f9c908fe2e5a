#pragma once
// A callback-driven echo server for tests against real devices: copies what
// each accepted connection reads back, as far as the send buffer allows, and
// closes after the peer's FIN.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "socket/stack.hpp"
#include "socket/tcp_listener.hpp"
#include "socket/tcp_stream.hpp"

namespace synack::testing {

struct EchoServer {
  EchoServer(socket::Stack& stack, std::uint16_t port) {
    auto l = stack.listen(port);
    EXPECT_TRUE(l);
    if (!l) return;
    listener = std::move(*l);
    listener.on_acceptable([this] {
      while (auto s = listener.accept()) {
        auto conn = std::make_unique<socket::TcpStream>(std::move(*s));
        socket::TcpStream* c = conn.get();
        c->on_event([c] { pump(*c); });
        conns.push_back(std::move(conn));
        pump(*c);
      }
    });
  }
  static void pump(socket::TcpStream& c) {
    std::uint8_t buf[4096];
    while (std::size_t n = std::min({c.readable(), c.writable(), sizeof buf})) {
      std::size_t got = c.read(std::span(buf, n));
      c.write(std::span<const std::uint8_t>(buf, got));
      if (got == 0) break;
    }
    if (c.at_eof() && c.state() == tcp::TcpState::CloseWait) c.close();
  }
  socket::TcpListener listener;
  std::vector<std::unique_ptr<socket::TcpStream>> conns;
};

}  // namespace synack::testing
