#pragma once
// Two synack stacks in one process, wired back to back by a pair of
// QueueDevices and polled by a minimal event loop: the benchmarks' "pair"
// network (no simulator, no impairment, no per-frame scheduling).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "frame_ring.hpp"
#include "iface/device.hpp"
#include "socket/stack.hpp"

namespace synack::bench {

// One side of a pair of devices wired back to back: transmit() copies the
// frame into the peer's queue. Frame buffers are reused (FrameRing), so
// steady state allocates nothing.
class QueueDevice final : public iface::Device {
 public:
  void set_peer(QueueDevice* peer) { peer_ = peer; }
  bool pending() const { return !queue_.empty(); }

  iface::DeviceCaps caps() const override { return {1500, iface::Medium::Ip}; }
  std::optional<std::span<const std::uint8_t>> receive(Instant) override { return queue_.pop(); }
  void transmit(Instant, std::span<const std::uint8_t> frame) override {
    peer_->queue_.push(frame);
  }

 private:
  QueueDevice* peer_ = nullptr;
  FrameRing queue_;
};

// Two stacks joined by a QueueDevice pair. drain() and advance() give up
// (return false) after max_rounds event-loop rounds: a stack that never
// goes quiet fails the benchmark instead of hanging it.
class PairNet {
 public:
  PairNet(const iface::InterfaceConfig& client, const iface::InterfaceConfig& server,
          int max_rounds)
      : client_(client), server_(server), max_rounds_(max_rounds) {
    client_dev_.set_peer(&server_dev_);
    server_dev_.set_peer(&client_dev_);
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
  QueueDevice client_dev_;
  QueueDevice server_dev_;
};

}  // namespace synack::bench
