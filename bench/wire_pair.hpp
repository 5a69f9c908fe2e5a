#pragma once
// Two synack stacks joined by an in-memory wire, for benchmarks: frames
// written by one side wait in the other side's queue until it polls; the
// stacks are polled in turn (no simulator, no per-frame scheduling), and
// time jumps to the next deadline when neither has anything to do.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "socket/stack.hpp"
#include "wire_end.hpp"

namespace synack::bench {

inline iface::InterfaceConfig host_config(const char* name, const char* cidr, std::size_t buffer) {
  iface::InterfaceConfig c;
  c.name = name;
  c.address = *wire::Ipv4Cidr::parse(cidr);
  c.tcp.send_buffer = buffer;
  c.tcp.recv_buffer = buffer;
  return c;
}

class WirePair {
 public:
  static constexpr const char* kName = "pair";
  explicit WirePair(std::size_t buffer, WireCaps caps = WireCaps::Plain)
      : client_(host_config("client", "10.0.0.1/24", buffer)),
        server_(host_config("server", "10.0.0.2/24", buffer)),
        client_end_(caps),
        server_end_(caps) {
    client_end_.connect(&server_end_);
    server_end_.connect(&client_end_);
  }
  socket::Stack& client() { return client_; }
  socket::Stack& server() { return server_; }
  bool step() {
    bool c = client_end_.pending() || client_.poll_at() <= now_;
    bool s = server_end_.pending() || server_.poll_at() <= now_;
    if (!c && !s) {
      Instant next = earliest(client_.poll_at(), server_.poll_at());
      if (next == kNever) return false;
      now_ = std::max(next, now_);
      client_.set_time(now_);
      server_.set_time(now_);
      return true;
    }
    if (c) client_.poll(now_, client_end_);
    if (s) server_.poll(now_, server_end_);
    return true;
  }

 private:
  Instant now_{};
  socket::Stack client_;
  socket::Stack server_;
  WireEnd client_end_;
  WireEnd server_end_;
};

}  // namespace synack::bench
