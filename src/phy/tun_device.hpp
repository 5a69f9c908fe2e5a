#pragma once
// A Linux TUN device: the stack's frames are bare IPv4 packets exchanged with
// the kernel through /dev/net/tun. The fd is non-blocking, so receive() and
// transmit() never wait; the event loop watches fd() with epoll. Optional
// hooks capture every frame to a pcap file and impair both directions with a
// FaultInjector each (see TunTapDevice, shared with TapDevice).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "iface/device.hpp"
#include "phy/tun_tap_common.hpp"

namespace synack::phy {

class TunDevice final : public TunTapDevice {
 public:
  // Opens /dev/net/tun and attaches to (creating if needed) interface
  // `opts.name`, then configures the kernel side by ioctl. Errors are one-line
  // messages naming the device.
  static Result<std::unique_ptr<TunDevice>, std::string> open(const TunOptions& opts);
  // `n` queues of one interface (IFF_MULTI_QUEUE when n > 1): the first
  // creates and configures it, the others attach to it by name. The kernel
  // spreads what it sends over the queues (see tun_steering.hpp); each
  // queue is an fd of its own, for one thread each. n == 1 is open(opts).
  static Result<std::vector<std::unique_ptr<TunDevice>>, std::string> open_queues(
      const TunOptions& opts, std::size_t n);

  iface::DeviceCaps caps() const override { return base_caps(iface::Medium::Ip); }

 private:
  TunDevice(int fd, std::string name, std::size_t mtu, bool vnet)
      : TunTapDevice(fd, std::move(name), mtu, vnet, 0) {}
};

}  // namespace synack::phy
