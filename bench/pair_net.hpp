#pragma once
// Two synack stacks in one process, wired back to back by a pair of
// WireEnds and polled by a minimal event loop: the benchmarks' "pair"
// network (no simulator, no impairment, no per-frame scheduling).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "socket/stack.hpp"
#include "wire_end.hpp"

namespace synack::bench {

// Two stacks joined by a pair of WireEnds (wire_end.hpp), plain or with
// loopback's capabilities. drain() and advance() give up (return false)
// after max_rounds event-loop rounds: a stack that never goes quiet fails
// the benchmark instead of hanging it.
class PairNet {
 public:
  PairNet(const iface::InterfaceConfig& client, const iface::InterfaceConfig& server,
          int max_rounds, WireCaps caps = WireCaps::Plain)
      : client_(client),
        server_(server),
        max_rounds_(max_rounds),
        client_dev_(caps),
        server_dev_(caps) {
    client_dev_.connect(&server_dev_);
    server_dev_.connect(&client_dev_);
  }
  socket::Stack& client() { return client_; }
  socket::Stack& server() { return server_; }

  bool drain() {
    for (int i = 0; i < max_rounds_; ++i) {
      bool c = client_dev_.pending() || client_.poll_at() <= now_;
      bool s = server_dev_.pending() || server_.poll_at() <= now_;
      if (!c && !s) return true;
      if (c) client_.poll(now_, client_dev_);
      if (s) server_.poll(now_, server_dev_);
    }
    return false;
  }
  bool advance(Duration d) {
    Instant target = now_ + d;
    for (int i = 0; i < max_rounds_; ++i) {
      if (!drain()) return false;
      Instant next = earliest(client_.poll_at(), server_.poll_at());
      if (next > target) {
        set_time(target);
        return true;
      }
      set_time(std::max(next, now_));
    }
    return false;
  }

 private:
  void set_time(Instant t) {
    now_ = t;
    client_.set_time(t);
    server_.set_time(t);
  }

  Instant now_{};
  socket::Stack client_;
  socket::Stack server_;
  int max_rounds_;
  WireEnd client_dev_;
  WireEnd server_dev_;
};

}  // namespace synack::bench
