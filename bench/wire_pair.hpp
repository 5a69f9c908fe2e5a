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

#include "frame_ring.hpp"
#include "socket/stack.hpp"

namespace synack::bench {

inline iface::InterfaceConfig host_config(const char* name, const char* cidr, std::size_t buffer) {
  iface::InterfaceConfig c;
  c.name = name;
  c.address = *wire::Ipv4Cidr::parse(cidr);
  c.tcp.send_buffer = buffer;
  c.tcp.recv_buffer = buffer;
  return c;
}

// What the in-memory wire offers the stacks. Linux's loopback takes 64 KiB
// packets and never computes a checksum (NETIF_F_HW_CSUM, NETIF_F_ALL_TSO,
// the receiver trusts CHECKSUM_PARTIAL); a plain wire has an MTU of 1500 and
// no offloads, so every checksum is computed and checked.
enum class WireCaps { Plain, Loopback };

// Frames written by one side wait in the other side's queue until it polls.
class WireEnd final : public iface::Device {
 public:
  explicit WireEnd(WireCaps caps = WireCaps::Plain) : loopback_(caps == WireCaps::Loopback) {}
  void connect(WireEnd* peer) { peer_ = peer; }
  bool pending() const { return !queue_.empty(); }
  iface::DeviceCaps caps() const override {
    iface::DeviceCaps c{1500, iface::Medium::Ip};
    if (loopback_) {
      c.tx_checksum = true;
      c.tso_max = 65535;
    }
    return c;
  }
  std::optional<std::span<const std::uint8_t>> receive(Instant) override { return queue_.pop(); }
  void transmit(Instant, std::span<const std::uint8_t> frame) override {
    peer_->queue_.push(frame);
  }
  // A large segment stays whole, as on loopback; its checksum stays partial
  // and the receiver trusts it.
  void transmit_offloaded(Instant now, std::span<const std::uint8_t> frame,
                          const iface::TxMeta&) override {
    transmit(now, frame);
  }
  bool rx_checksum_trusted() const override { return loopback_; }

 private:
  bool loopback_;
  WireEnd* peer_ = nullptr;
  FrameRing queue_;
};

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
