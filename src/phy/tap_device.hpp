#pragma once
// A Linux TAP device: the stack's frames are Ethernet frames (no FCS)
// exchanged with the kernel through /dev/net/tun, so the kernel sees synack as
// a neighbor on a LAN and resolves it by ARP. Everything but the medium (fd,
// kernel-side configuration, pcap, impairment) is shared with TunDevice; a
// pcap writer given to set_pcap() should use PcapLinkType::Ethernet.
#include <memory>
#include <string>
#include <utility>

#include "core/result.hpp"
#include "iface/device.hpp"
#include "phy/tun_tap_common.hpp"

namespace synack::phy {

using TapOptions = TunOptions;  // an empty name lets the kernel pick ("tap0", ...)

class TapDevice final : public TunTapDevice {
 public:
  // Opens /dev/net/tun in TAP mode and attaches to (creating if needed)
  // interface `opts.name`, then assigns the kernel-side address and brings it
  // up by ioctl. `opts.mtu` is the IP MTU; frames carry 14 more bytes.
  static Result<std::unique_ptr<TapDevice>, std::string> open(const TapOptions& opts);

  iface::DeviceCaps caps() const override { return base_caps(iface::Medium::Ethernet); }

 private:
  TapDevice(int fd, std::string name, std::size_t mtu, bool vnet)
      : TunTapDevice(fd, std::move(name), mtu, vnet, 14) {}
};

}  // namespace synack::phy
