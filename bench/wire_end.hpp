#pragma once
// One end of the benchmarks' in-memory wire: a Device whose transmit() copies
// the frame into the peer end's queue, where it waits until the peer's stack
// polls. Frame buffers are reused (FrameRing), so steady state allocates
// nothing. Used by WirePair (wire_pair.hpp) and PairNet (pair_net.hpp).
#include <cstdint>
#include <optional>
#include <span>

#include "frame_ring.hpp"
#include "iface/device.hpp"

namespace synack::bench {

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

}  // namespace synack::bench
