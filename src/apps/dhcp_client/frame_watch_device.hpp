#pragma once
// A Device that passes everything through to another and shows each frame
// received to a watcher first: how the owner of a TAP feeds DhcpAgent's ARP
// probe (RFC 5227) with the link's ARP traffic, which the stack's own ARP
// layer consumes. The watcher must not call into the stack (it runs inside
// Interface::poll's ingress); DhcpAgent::on_frame() only records.
#include <functional>
#include <span>

#include "iface/device.hpp"

namespace synack::apps::dhcp {

class FrameWatchDevice final : public iface::Device {
 public:
  using Watcher = std::function<void(Instant, std::span<const std::uint8_t>)>;

  explicit FrameWatchDevice(iface::Device& inner) : inner_(inner) {}
  void set_watcher(Watcher w) { watcher_ = std::move(w); }

  iface::DeviceCaps caps() const override { return inner_.caps(); }
  std::optional<std::span<const std::uint8_t>> receive(Instant now) override {
    auto f = inner_.receive(now);
    if (f && watcher_) watcher_(now, *f);
    return f;
  }
  void transmit(Instant now, std::span<const std::uint8_t> frame) override {
    inner_.transmit(now, frame);
  }
  // The inner device's offloads pass through too: caps() advertises them,
  // so a partial checksum must reach the device with its metadata.
  void transmit_offloaded(Instant now, std::span<const std::uint8_t> frame,
                          const iface::TxMeta& meta) override {
    inner_.transmit_offloaded(now, frame, meta);
  }
  bool rx_checksum_trusted() const override { return inner_.rx_checksum_trusted(); }

 private:
  iface::Device& inner_;
  Watcher watcher_;
};

}  // namespace synack::apps::dhcp
